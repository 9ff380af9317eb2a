package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// renewStore is tkt's own SQLite store holding alice, chained and behind
// the credential cache as tktd puts the stores for HTTP Basic, and the
// renewal made of it. The store is real; "down" is its handle closed.
type renewStore struct {
	db    *sqlstore.Store
	renew tkthttp.Renew
	logs  *testenv.SyncBuffer
}

const renewGuests = "guest-%8U"

func newRenewStore(t *testing.T) *renewStore {
	t.Helper()
	db, err := sqlstore.OpenDataDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.AddUser(context.Background(), "alice", "alice pw", []string{"staff", "admin"}, "a1"); err != nil {
		t.Fatal(err)
	}
	s := &renewStore{db: db, logs: &testenv.SyncBuffer{}}
	src := cache.New(authsrc.Chain(authsrc.Named{Name: "users", Source: db}), cache.Config{Context: "basic"})
	s.renew, err = NewRenew(RenewConfig{Source: src, GuestUser: renewGuests, Timeout: 3 * time.Second,
		Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil || s.renew == nil {
		t.Fatalf("NewRenew: %v, %v", s.renew, err)
	}
	return s
}

// verdict is what a front end made of a request, in the terms every front
// end shares.
type verdict string

const (
	through   verdict = "through"   // let on: to back, the page, the application
	forbidden verdict = "forbidden" // a required token missing
	expired   verdict = "expired"   // sent to log in again
)

// answer is a verdict and the ticket re-issued with it, if any.
type answer struct {
	Verdict verdict
	Fresh   *ticket.Ticket
}

// renewFront is a front end that re-issues tickets. build makes one with
// renew, requiring token (if not ""), and letting in guests named by
// renewGuests; ask presents a ticket issued at the time given to it at
// time now.
type renewFront struct {
	name       string
	checksToks bool // it has a token requirement to fail
	build      func(t *testing.T, renew tkthttp.Renew, token string) (ask func(tk ticket.Ticket, now time.Time) answer)
}

var renewNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// freshTicket reads the ticket cookie a response set, verified by v at
// now for client; nil when none was set.
func freshTicket(t *testing.T, cookies []*http.Cookie, v *ticket.Verifier, client string, now time.Time) *ticket.Ticket {
	t.Helper()
	for _, c := range cookies {
		if c.Name != "auth_tkt" || c.Value == "" {
			continue
		}
		res, err := v.Verify(c.Value, netip.MustParseAddr(client), now)
		if err != nil {
			t.Fatalf("the re-issued ticket does not verify: %v", err)
		}
		return &res.Ticket
	}
	return nil
}

func verifierFor(t *testing.T, c ticket.Config) *ticket.Verifier {
	t.Helper()
	c.Tokens = nil
	v, err := ticket.NewVerifier(c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func renewFronts() []renewFront {
	return []renewFront{
		{"portal login", true, func(t *testing.T, renew tkthttp.Renew, token string) func(ticket.Ticket, time.Time) answer {
			f := portalFront(t, renew, token)
			return func(tk ticket.Ticket, now time.Time) answer {
				cookie := f.ticketFor(tk, testSecret)
				f.now = now
				w := f.do(req{target: "/login?back=" + url.QueryEscape(testBackURL), cookies: []*http.Cookie{ticketCookie(cookie)}})
				a := answer{Fresh: freshTicket(t, w.Result().Cookies(), verifierFor(t, f.opts.Ticket), testClient, now)}
				switch reason := reasonOf(w.Body.String()); {
				case w.Code == http.StatusSeeOther && w.Header().Get("Location") == testBackURL:
					a.Verdict = through
				case reason == string(reasonUnauthorized):
					a.Verdict = forbidden
				case reason == string(reasonExpired):
					a.Verdict = expired
				default:
					t.Fatalf("portal: %d %q", w.Code, reason)
				}
				return a
			}
		}},
		{"portal home", false, func(t *testing.T, renew tkthttp.Renew, token string) func(ticket.Ticket, time.Time) answer {
			f := portalFront(t, renew, token)
			return func(tk ticket.Ticket, now time.Time) answer {
				cookie := f.ticketFor(tk, testSecret)
				f.now = now
				w := f.do(req{target: "/", cookies: []*http.Cookie{ticketCookie(cookie)}})
				a := answer{Fresh: freshTicket(t, w.Result().Cookies(), verifierFor(t, f.opts.Ticket), testClient, now)}
				switch body := w.Body.String(); {
				case strings.Contains(body, "signed in as <strong>"+tk.UID+"</strong>"):
					a.Verdict = through
				case reasonOf(body) == string(reasonExpired):
					a.Verdict = expired
				default:
					t.Fatalf("home: %d %s", w.Code, body)
				}
				return a
			}
		}},
		{"forward auth", true, func(t *testing.T, renew tkthttp.Renew, token string) func(ticket.Ticket, time.Time) answer {
			f := newFAFixture(t, func(o *ForwardAuthConfig) {
				o.Renew = renew
				o.Ticket.Tokens = nil
				if token != "" {
					o.Ticket.Tokens = []string{token}
				}
				o.GuestUser = renewGuests
			})
			return func(tk ticket.Ticket, now time.Time) answer {
				f.now = now
				cookie := f.mint(tk.UID, string(tk.Tokens), tk.Data, testClient, now.Sub(tk.Time))
				w := f.nginx("https://app.example.com/page", cookie)
				a := answer{Fresh: freshTicket(t, w.Result().Cookies(), verifierFor(t, f.opts.Ticket), testClient, now)}
				a.Verdict = statusVerdict(t, w.Code)
				return a
			}
		}},
		{"gate", true, func(t *testing.T, renew tkthttp.Renew, token string) func(ticket.Ticket, time.Time) answer {
			now := renewNow
			tc := ticket.Config{Digest: ticket.HMACSHA256, Secret: testSecret, Timeout: 2 * time.Hour, Refresh: 0.5}
			g := newGateFixture(t, func(o *GateConfig) {
				o.Middleware.Ticket = tc
				if token != "" {
					o.Middleware.Ticket.Tokens = []string{token}
				}
				o.Middleware.Renew = renew
				o.Middleware.GuestUser = renewGuests
				o.Middleware.Now = func() time.Time { return now }
			})
			v := verifierFor(t, tc)
			return func(tk ticket.Ticket, at time.Time) answer {
				now = at
				raw, err := v.Mint(tk, netip.MustParseAddr("127.0.0.1"))
				if err != nil {
					t.Fatal(err)
				}
				resp, _ := g.get("/page", map[string]string{"Cookie": "auth_tkt=" + ticket.Encode(raw), "Accept": "application/json"})
				return answer{Verdict: statusVerdict(t, resp.StatusCode), Fresh: freshTicket(t, resp.Cookies(), v, "127.0.0.1", now)}
			}
		}},
	}
}

// portalFront is the portal fixture with renew, requiring token, and
// guests let in.
func portalFront(t *testing.T, renew tkthttp.Renew, token string) *fixture {
	return newFixture(t, func(o *Config) {
		o.Renew = renew
		if token != "" {
			o.Ticket.Tokens = []string{token}
		}
		o.Guest = GuestConfig{Enabled: true, User: renewGuests}
	})
}

// statusVerdict reads a validator's status: 200 lets through, 403 lacks
// a token, 401 (an API client's, or nginx's "go log in") wants a login.
func statusVerdict(t *testing.T, status int) verdict {
	t.Helper()
	switch status {
	case http.StatusOK:
		return through
	case http.StatusForbidden:
		return forbidden
	case http.StatusUnauthorized:
		return expired
	}
	t.Fatalf("status %d", status)
	return ""
}

// TestRenewFromStores: wherever tkt re-issues a ticket (the portal's own
// refresh, /auth, the gate), a ticket due for refresh asks the store: it
// gets the user's groups and data as they are now, or, for a deleted user
// or a store that cannot say, is not re-issued and lasts until its own
// timeout, never longer. Guests, whom no store holds, refresh as before.
func TestRenewFromStores(t *testing.T) {
	alice := ticket.Ticket{UID: "alice", Tokens: "admin,staff", Data: "a1", Time: renewNow.Add(-90 * time.Minute)}
	guest := ticket.Ticket{UID: "guest-0123abcd", Time: alice.Time}
	posing := guest // a guest's name, with tokens no guest has
	posing.Tokens = "admin"
	renewed := func(tk ticket.Ticket, tokens, data string) *ticket.Ticket {
		tk.Tokens, tk.Data, tk.Time = ticket.Tokens(tokens), data, renewNow
		return &tk
	}
	scenarios := []struct {
		name   string
		token  string // required
		ticket ticket.Ticket
		change func(t *testing.T, s *renewStore)
		want   answer
		// later is the verdict on the same ticket past its timeout
		// (two hours), when it was not re-issued.
		later verdict
		log   string // a line the renewal must have logged
	}{
		{name: "user unchanged", ticket: alice,
			want: answer{through, renewed(alice, "admin,staff", "a1")}},
		{name: "groups and data changed", ticket: alice,
			change: func(t *testing.T, s *renewStore) {
				must(t, s.db.SetGroups(context.Background(), "alice", []string{"ops"}))
				must(t, s.db.SetData(context.Background(), "alice", "a2"))
			},
			want: answer{through, renewed(alice, "ops", "a2")}},
		{name: "user deleted", ticket: alice,
			change: func(t *testing.T, s *renewStore) { must(t, s.db.DeleteUser(context.Background(), "alice")) },
			want:   answer{Verdict: through}, later: expired, log: "level=INFO msg=\"ticket not re-issued: the user no longer exists\" user=alice"},
		{name: "store down", ticket: alice,
			change: func(t *testing.T, s *renewStore) { must(t, s.db.Close()) },
			want:   answer{Verdict: through}, later: expired, log: "level=WARN msg=\"ticket not re-issued: the user store cannot say who the user is"},
		{name: "renewal drops the required token", token: "admin", ticket: alice,
			change: func(t *testing.T, s *renewStore) {
				must(t, s.db.SetGroups(context.Background(), "alice", []string{"staff"}))
			},
			want: answer{forbidden, renewed(alice, "staff", "a1")}},
		{name: "guest", ticket: guest, want: answer{through, renewed(guest, "", "")}},
		{name: "a guest's name with tokens is asked about", ticket: posing, want: answer{Verdict: through}, later: expired},
	}
	for _, front := range renewFronts() {
		t.Run(front.name, func(t *testing.T) {
			for _, sc := range scenarios {
				if sc.token != "" && !front.checksToks {
					continue
				}
				t.Run(sc.name, func(t *testing.T) {
					s := newRenewStore(t)
					if sc.change != nil {
						sc.change(t, s)
					}
					ask := front.build(t, s.renew, sc.token)
					if d := cmp.Diff(sc.want, ask(sc.ticket, renewNow)); d != "" {
						t.Errorf("due for refresh (-want +got):\n%s\nrenewal log:\n%s", d, s.logs)
					}
					if sc.log != "" && !strings.Contains(s.logs.String(), sc.log) {
						t.Errorf("the renewal did not log %q:\n%s", sc.log, s.logs)
					}
					if sc.later != "" {
						if got := ask(sc.ticket, sc.ticket.Time.Add(2*time.Hour+time.Second)); got != (answer{Verdict: sc.later}) {
							t.Errorf("past its timeout: %+v, want %s", got, sc.later)
						}
					}
				})
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The portal hands a ticket over in a URL even when the renewal refuses
// it: the ticket as it is, with its own time, so that the other domain
// gets nothing that outlives it here.
func TestRenewURLTicketHandOver(t *testing.T) {
	s := newRenewStore(t)
	must(t, s.db.DeleteUser(context.Background(), "alice"))
	f := portalFront(t, s.renew, "")
	issued := renewNow.Add(-10 * time.Minute) // not due: the hand-over alone asks for a fresh one
	cookie := f.ticketFor(ticket.Ticket{UID: "alice", Tokens: "admin,staff", Data: "a1", Time: issued}, testSecret)
	f.now = renewNow
	w := f.do(req{target: "/login?back=" + url.QueryEscape("https://other.example.net/cb"), cookies: []*http.Cookie{ticketCookie(cookie)}})
	loc, _ := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || loc == nil || loc.Host != "other.example.net" {
		t.Fatalf("hand-over: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if c := setCookie(w, "auth_tkt"); c != nil {
		t.Errorf("a ticket was re-issued for a deleted user: %v", c)
	}
	if res := verifyAs(t, f, loc.Query().Get("auth_tkt"), testClient); !res.Time.Equal(issued) {
		t.Errorf("the handed-over ticket was issued at %v, want its own time %v", res.Time, issued)
	}
}

// NewRenew turns renewal off, rather than failing every refresh, for a
// source that cannot look users up at all: tickets refresh as they are.
func TestNewRenewWithoutLookup(t *testing.T) {
	if r, err := NewRenew(RenewConfig{Source: passwordsOnly{}}); r != nil || err != nil {
		t.Errorf("NewRenew(no Lookuper) = %v, %v; want nil, nil", r, err)
	}
	if r, err := NewRenew(RenewConfig{}); r != nil || err != nil {
		t.Errorf("NewRenew(no Source) = %v, %v; want nil, nil", r, err)
	}
	if _, err := NewRenew(RenewConfig{Source: noUsers{}, GuestUser: "bad!name"}); err == nil {
		t.Error("a guest pattern no ticket can carry was accepted")
	}
}

type passwordsOnly struct{ authsrc.Source }

type noUsers struct{ passwordsOnly }

func (noUsers) Lookup(context.Context, string) (authsrc.Identity, error) {
	return authsrc.Identity{}, authsrc.ErrNoSuchUser
}

// A store outage is a warning once, not one per request due for refresh:
// the requests after the first within a minute log at debug level.
func TestRenewOutageWarnsOnce(t *testing.T) {
	s := newRenewStore(t)
	must(t, s.db.Close())
	for range 3 {
		if _, err := s.renew(context.Background(), ticket.Ticket{UID: "alice"}); err == nil {
			t.Fatal("renewed from a closed store")
		}
	}
	logs := s.logs.String()
	if w, d := strings.Count(logs, "level=WARN"), strings.Count(logs, "level=DEBUG msg=\"ticket not re-issued"); w != 1 || d != 2 {
		t.Errorf("%d warnings and %d debug lines, want 1 and 2:\n%s", w, d, logs)
	}
}

// A guest's ticket (ticket.GuestToken) is re-issued as it is, never
// looked up: a store user of the same name does not turn a guest's ticket
// into that user's login.
func TestRenewKeepsGuestTicket(t *testing.T) {
	s := newRenewStore(t)
	tk := ticket.Ticket{UID: "alice", Tokens: ticket.GuestToken, Time: renewNow}
	got, err := s.renew(context.Background(), tk)
	if d := cmp.Diff(tk, got); err != nil || d != "" {
		t.Errorf("renewed guest ticket (-want +got):\n%s\nerror %v", d, err)
	}
}
