package apachetest

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
)

func ptr(s string) *string { return &s }

// The harness itself: every virtual host answers, unprotected URLs reach the
// backend with the client's real source address, protected ones redirect to
// their own login URL, and the backend tells unset from empty.
func TestStart(t *testing.T) {
	s := Start(t, Config{})
	for _, vh := range DefaultVHosts() {
		t.Run(vh.Name, func(t *testing.T) {
			r := s.Do(t, Request{VHost: vh.Name, Path: "/login?x=1", From: netip.MustParseAddr("127.0.0.9")})
			want := Response{Status: 200, Backend: true, RemoteAddr: ptr("127.0.0.9"),
				Vars: map[string]string{"REMOTE_ADDR": "127.0.0.9", "REQUEST_METHOD": "GET", "REQUEST_URI": "/login?x=1",
					"QUERY_STRING": "x=1", "HTTP_HOST": strings.TrimPrefix(s.URL(vh.Name), "http://")}}
			if d := cmp.Diff(want, r); d != "" {
				t.Errorf("unprotected /login (-want +got):\n%s", d)
			}
			r = s.Get(t, vh.Name, "/"+vh.Name+"/page", "")
			if r.Status != 307 || r.Backend || !strings.HasPrefix(r.Location, s.URL(vh.Name)+"/login?back=") {
				t.Errorf("protected without ticket: status %d, backend %v, Location %q; want 307 to own login URL", r.Status, r.Backend, r.Location)
			}
		})
	}
}

// A port taken between our probe and Apache's bind must be recognised as
// such, since that is what Start retries on.
func TestStartBindConflict(t *testing.T) {
	_, err := os.Stat(apacheBin)
	testenv.Need(t, "apache2 (Debian package apache2)", err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := Config{VHosts: DefaultVHosts()[:1]}
	s, err := start(serverRoot(t), c, []int{l.Addr().(*net.TCPAddr).Port})
	if err == nil {
		s.stop()
		t.Fatal("Apache started on a port in use")
	}
	if !errors.Is(err, errBind) {
		t.Errorf("err = %v, want errBind", err)
	}
}

func TestParseEnv(t *testing.T) {
	got, err := parseEnv("A=616263\nB\nC=\nD=e282ac\n")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"A": "abc", "C": "", "D": "€"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []string{"A=zz\n", "=61\n", "A B=61\n"} {
		if _, err := parseEnv(bad); err == nil {
			t.Errorf("parseEnv(%q) accepted", bad)
		}
	}
}

func FuzzParseEnv(f *testing.F) {
	f.Add("REMOTE_USER=616c696365\nREMOTE_USER_DATA=\nAUTH_TYPE\n")
	f.Fuzz(func(t *testing.T, body string) {
		vars, err := parseEnv(body)
		if err != nil {
			return
		}
		for name := range vars {
			if name == "" || strings.ContainsAny(name, "= \t\n") {
				t.Errorf("accepted variable name %q", name)
			}
		}
	})
}
