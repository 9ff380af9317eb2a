package shared

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/ticket"
)

// What a record keeps of a login, at most: enough to tell sessions apart,
// never so much that a client could fill Redis through its user agent.
const (
	maxUserAgent = 256
	maxClient    = 64
	maxTokens    = 4096
	maxData      = 1024
	// batch bounds the ids of one End transaction and announcement, and
	// the records of one List round trip.
	batch = 1000
)

// Session is a session record: who logged in, when, from where.
type Session struct {
	// ID is what the session's tickets carry (ticket.SessionPrefix + ID).
	ID   string `json:"id"`
	User string `json:"user"`
	// Tokens and Data are the ticket's at login, without the session
	// token (Data cut at 1 KiB).
	Tokens ticket.Tokens `json:"tokens"`
	Data   string        `json:"data"`
	// Created is the login; LastSeen the last re-issue of its ticket.
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// Expires is when the record goes, unless a ticket of the session is
	// re-issued before: LastSeen + ticket timeout + max skew, when every
	// ticket of the session has timed out.
	Expires time.Time `json:"expires"`
	// Client is the client's address at login; UserAgent its User-Agent
	// header (control characters blanked, cut at 256 bytes).
	Client    string `json:"client"`
	UserAgent string `json:"user_agent"`
}

// A record is one JSON string (record) rather than a hash: Redis keeps a
// hash whose value exceeds 64 bytes (hash-max-listpack-value), as a
// browser's User-Agent does, as a hash table, twice the size. Its key
// expires with the last ticket of its session; the user's index, a sorted
// set of the user's session ids scored by their records' expiry, is
// pruned of the expired ones and expires with its last. Every key is
// under the {sessions} hash tag, so that the scripts' keys meet on one
// Cluster node.
const (
	// KEYS[1] record, KEYS[2] the user's index; ARGV[1] id, ARGV[2] TTL
	// in ms, ARGV[3] expiry and ARGV[4] now (unix seconds).
	indexLua = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
	redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1`
	// ARGV[5]: the record. An id drawn twice (never, at 128 random bits)
	// is not overwritten.
	createLua = `
if not redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[2], 'NX') then return 0 end` + indexLua
	// ARGV[5]: the ticket's user, whose record it must be.
	extendLua = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.u ~= ARGV[5] then return 0 end
r.s = tonumber(ARGV[4])
redis.call('SET', KEYS[1], cjson.encode(r), 'PX', ARGV[2])` + indexLua
)

// record is a session's record as Redis holds it: short names, as every
// session pays for them.
type record struct {
	User      string `json:"u"`
	Tokens    string `json:"t,omitempty"`
	Data      string `json:"d,omitempty"`
	Created   int64  `json:"c"`
	LastSeen  int64  `json:"s"`
	Client    string `json:"ip,omitempty"`
	UserAgent string `json:"ua,omitempty"`
}

// scripts are the Lua scripts of Sessions, loaded once per Redis node.
type scripts struct{ create, extend *redis.Script }

func newScripts() scripts {
	return scripts{create: redis.NewScript(createLua), extend: redis.NewScript(extendLua)}
}

// Create records a session for s.User (with s's Tokens, Data, Client and
// UserAgent, trimmed to what a record keeps) and returns it with its new
// ID, Created, LastSeen and Expires. The ticket of the login carries the
// ID (Tokens.WithSession).
func (s *Sessions) Create(ctx context.Context, in Session) (Session, error) {
	if err := ticket.CheckUID(in.User); err != nil {
		return Session{}, fmt.Errorf("%w: %w", ErrInvalidSession, err)
	}
	sid, err := newSessionID()
	if err != nil {
		return Session{}, err
	}
	now := s.c.cfg.Now().Truncate(time.Second)
	tokens := in.Tokens.Groups()
	rec := Session{
		ID: sid, User: in.User, Tokens: ticket.Tokens(cut(string(tokens), maxTokens)), Data: cut(in.Data, maxData),
		Created: now.UTC(), LastSeen: now.UTC(), Expires: now.Add(s.ttl).UTC(),
		Client: printable(in.Client, maxClient), UserAgent: printable(in.UserAgent, maxUserAgent),
	}
	js, err := json.Marshal(record{
		User: rec.User, Tokens: string(rec.Tokens), Data: rec.Data, Created: now.Unix(), LastSeen: now.Unix(),
		Client: rec.Client, UserAgent: rec.UserAgent,
	})
	if err != nil {
		return Session{}, err
	}
	sent := s.c.health.now()
	cctx, cancel := s.c.call(ctx)
	defer cancel()
	n, err := s.scripts.create.Run(cctx, s.c.rdb, s.keys(sid, rec.User), append(s.indexArgs(sid, now), js)...).Int()
	s.c.health.observe(sent, err)
	if err != nil {
		return Session{}, fmt.Errorf("%s: recording the session: %w", s.c.name, err)
	}
	if n != 1 {
		return Session{}, fmt.Errorf("%s: recording the session: its id was drawn before", s.c.name)
	}
	return rec, nil
}

// Extend implements tkthttp.Sessions: before a ticket of uid carrying sid
// is re-issued, it keeps the record alive as long as the fresh ticket and
// notes when it was last seen. A record that is not there (never
// recorded, or lost by Redis) or is another user's gets no fresh
// ticket: its id is ended everywhere, and ErrNoSession returned. While
// Redis is known to be away it fails at once, without waiting on Redis:
// it is asked on every request whose ticket is due for refresh. (Redis is
// known back at the follower's next read, within resync_interval, or a
// second during an outage.)
func (s *Sessions) Extend(ctx context.Context, uid, sid string) error {
	if !validID(sid) {
		return fmt.Errorf("%w: %q is not a session id", ErrInvalidSession, sid)
	}
	if st := s.c.health.status(); st.Known && !st.Up {
		return fmt.Errorf("%s: redis unreachable: %w", s.c.name, st.Err)
	}
	now := s.c.cfg.Now().Truncate(time.Second)
	sent := s.c.health.now()
	cctx, cancel := s.c.call(ctx)
	defer cancel()
	n, err := s.scripts.extend.Run(cctx, s.c.rdb, s.keys(sid, uid), append(s.indexArgs(sid, now), uid)...).Int()
	s.c.health.observe(sent, err)
	if err != nil {
		return fmt.Errorf("%s: extending the session: %w", s.c.name, err)
	}
	if n == 1 {
		return nil
	}
	s.c.cfg.Logger.Info("ticket not re-issued: its session is not recorded (never, or Redis lost it) or is another user's; its id is ended everywhere",
		"user", uid, "session", sid)
	if _, err := s.End(ctx, sid); err != nil {
		s.c.cfg.Logger.Warn("a session that is not recorded could not be ended", "session", sid, "err", err)
	}
	return ErrNoSession
}

// End ends sessions by id: their records go, and every instance refuses
// their tickets within a second. An id without a record (expired, ended
// before, or never recorded: read from a ticket, say) is ended all the
// same. It returns a Session per id, in order: the record as it was, or
// only the ID (User "") for an id without one.
func (s *Sessions) End(ctx context.Context, sids ...string) ([]Session, error) {
	for _, sid := range sids {
		if err := ticket.CheckSessionID(sid); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidSession, err)
		}
	}
	out := make([]Session, 0, len(sids))
	for chunk := range slices.Chunk(sids, batch) {
		got, err := s.end(ctx, chunk)
		out = append(out, got...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// end ends up to batch sessions in one transaction and one announcement.
func (s *Sessions) end(ctx context.Context, sids []string) ([]Session, error) {
	recs, err := s.read(ctx, sids)
	if err != nil {
		return nil, err
	}
	now := s.c.cfg.Now()
	at := now.Unix()
	sent := s.c.health.now()
	cctx, cancel := s.c.call(ctx)
	defer cancel()
	_, err = s.c.rdb.TxPipelined(cctx, func(p redis.Pipeliner) error {
		for i, sid := range sids {
			p.Del(cctx, s.records+sid)
			if recs[i].User != "" {
				p.ZRem(cctx, s.users+recs[i].User, sid)
			}
			p.ZAddGT(cctx, s.endedKey, redis.Z{Score: float64(at), Member: sid})
		}
		p.ZRemRangeByScore(cctx, s.endedKey, "-inf", "("+unix(s.cutoff(now)))
		// The key goes when its last id does: NX gives a new key its
		// expiry, GT only ever pushes it later.
		p.ExpireNX(cctx, s.endedKey, s.ttl+time.Second)
		p.ExpireGT(cctx, s.endedKey, s.ttl+time.Second)
		return nil
	})
	s.c.health.observe(sent, err)
	if err != nil {
		return nil, fmt.Errorf("%s: ending sessions: %w", s.c.name, err)
	}
	if err := s.c.rdb.Publish(cctx, s.channel, endedPayload(at, sids)).Err(); err != nil {
		s.c.health.observe(sent, err)
		s.c.cfg.Logger.Warn("sessions ended but not announced: other instances learn of it at their next resync",
			"redis", s.c.name, "err", err)
	}
	ups := make([]endedID, len(sids))
	for i, sid := range sids {
		ups[i] = endedID{sid, at}
	}
	s.apply(ups)
	return recs, nil
}

// EndUser ends every session of user (a login in the same instant may
// escape: "sign out everywhere" revokes the user's tickets too) and
// returns them.
func (s *Sessions) EndUser(ctx context.Context, user string) ([]Session, error) {
	if err := ticket.CheckUID(user); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSession, err)
	}
	sids, err := s.ids(ctx, s.users+user)
	if err != nil || len(sids) == 0 {
		return nil, err
	}
	return s.End(ctx, sids...)
}

// List returns the sessions of user, or of every user for "", that have
// not expired, by user and then by login time. Every user's are found by
// scanning the keys of the Redis node that holds them: an index of them
// all would cost every session a fifth more memory, for the sake of an
// operator's command.
func (s *Sessions) List(ctx context.Context, user string) ([]Session, error) {
	var sids []string
	var err error
	if user != "" {
		sids, err = s.ids(ctx, s.users+user)
	} else {
		sids, err = s.scan(ctx)
	}
	if err != nil {
		return nil, err
	}
	now := s.c.cfg.Now()
	var out []Session
	for chunk := range slices.Chunk(sids, batch) {
		recs, err := s.read(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.User != "" && !r.Expires.Before(now) { // not gone meanwhile, nor due to
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b Session) int {
		return cmp.Or(cmp.Compare(a.User, b.User), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ids reads the ids of an index whose records have not expired.
func (s *Sessions) ids(ctx context.Context, key string) ([]string, error) {
	sent := s.c.health.now()
	cctx, cancel := s.c.call(ctx)
	defer cancel()
	sids, err := s.c.rdb.ZRangeByScore(cctx, key, &redis.ZRangeBy{Min: unix(s.c.cfg.Now().Unix()), Max: "+inf"}).Result()
	s.c.health.observe(sent, err)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the sessions: %w", s.c.name, err)
	}
	return sids, nil
}

// read reads the records of sids in one round trip: a Session per id, only
// the ID for an id without a record.
func (s *Sessions) read(ctx context.Context, sids []string) ([]Session, error) {
	sent := s.c.health.now()
	cctx, cancel := s.c.call(ctx)
	defer cancel()
	cmds := make([]*redis.StringCmd, len(sids))
	_, err := s.c.rdb.Pipelined(cctx, func(p redis.Pipeliner) error {
		for i, sid := range sids {
			cmds[i] = p.Get(cctx, s.records+sid)
		}
		return nil
	})
	if errors.Is(err, redis.Nil) { // records gone: not the pipeline's failure
		err = nil
	}
	s.c.health.observe(sent, err)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the sessions: %w", s.c.name, err)
	}
	out := make([]Session, len(sids))
	for i, sid := range sids {
		out[i] = s.parse(sid, cmds[i].Val())
	}
	return out, nil
}

// parse is the Session of a record; only the ID when there is none (or
// one tkt cannot read).
func (s *Sessions) parse(sid, js string) Session {
	var r record
	if js == "" || json.Unmarshal([]byte(js), &r) != nil || r.User == "" {
		return Session{ID: sid}
	}
	seen := time.Unix(r.LastSeen, 0).UTC()
	return Session{
		ID: sid, User: r.User, Tokens: ticket.Tokens(r.Tokens), Data: r.Data,
		Created: time.Unix(r.Created, 0).UTC(), LastSeen: seen, Expires: seen.Add(s.ttl),
		Client: r.Client, UserAgent: r.UserAgent,
	}
}

// scan lists the ids of every record, on the node that holds them all
// (they share a hash tag).
func (s *Sessions) scan(ctx context.Context) ([]string, error) {
	sent := s.c.health.now()
	cctx, cancel := context.WithTimeout(ctx, 30*s.c.cfg.CallTimeout)
	defer cancel()
	var node redis.Cmdable = s.c.rdb
	if cc, ok := s.c.rdb.(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(cctx, s.records)
		s.c.health.observe(sent, err)
		if err != nil {
			return nil, fmt.Errorf("%s: finding the sessions' node: %w", s.c.name, err)
		}
		node = n
	}
	var sids []string
	iter := node.Scan(cctx, 0, globEscape(s.records)+"*", batch).Iterator()
	for iter.Next(cctx) {
		if sid := strings.TrimPrefix(iter.Val(), s.records); validID(sid) {
			sids = append(sids, sid)
		}
	}
	s.c.health.observe(sent, iter.Err())
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("%s: listing the sessions: %w", s.c.name, err)
	}
	return sids, nil
}

// globEscape escapes the characters a SCAN pattern reads as wildcards.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// keys are the keys the scripts touch for sid of user.
func (s *Sessions) keys(sid, user string) []string {
	return []string{s.records + sid, s.users + user}
}

// indexArgs are the scripts' first arguments for sid at now.
func (s *Sessions) indexArgs(sid string, now time.Time) []any {
	return []any{sid, s.ttl.Milliseconds(), unix(now.Add(s.ttl).Unix()), unix(now.Unix())}
}

// newSessionID draws 16 random bytes, in unpadded base64url.
func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("drawing a session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func unix(v int64) string { return strconv.FormatInt(v, 10) }

// printable is s as a record keeps what a client sent: valid UTF-8,
// control and format characters (newlines, bidi overrides) blanked, at
// most n bytes.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return cut(s, n)
}

// cut is s cut to at most n bytes, on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
