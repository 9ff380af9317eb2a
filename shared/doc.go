// Package shared holds the state that every tktd instance shares, on
// Redis: the revocation marks (Revocations), which make a ticket taken
// back before its timeout refused everywhere within a second; the
// server-side sessions (Sessions), a record per login whose id the
// ticket carries, which logout ends everywhere within a second; the login
// throttle's buckets (Throttle, a web.ThrottleStore), so that failures
// sent to any instance count together; and the credential cache's
// entries (CredentialCache, a cache.Shared), so that a password one
// instance checked is a hit at every other. Tickets stay stateless:
// validating one needs the secret alone, and keeps working with no Redis
// at all; Redis only adds what a signature cannot say, and what
// instances gain by counting and remembering together.
//
// One Config reaches one server (URL), a Sentinel-managed master (Addrs
// and MasterName) or a Redis Cluster (Addrs, or a URL, with Cluster),
// through go-redis's UniversalClient.
//
// # Storage
//
// Every key and channel starts with Config.KeyPrefix (default "tkt:"):
//
//	<prefix>{revocations}         sorted set: member = user id, or "!all"
//	                              for every user (no user id holds '!');
//	                              score = the mark's unix time in seconds
//	<prefix>revocations@<db>      pub/sub channel: "<unix time> <member>"
//	                              after each mark
//	<prefix>throttle:<kind>:<h>   a token bucket (kind pair, net or user):
//	                              when it is full again, unix µs;
//	                              expires then
//	<prefix>throttle:known:<h>    a user's last login from a network,
//	                              unix µs; expires after known_for
//	<prefix>cache:<h>             a credential cache entry, the cache's
//	                              encoding; expires with the entry
//	<prefix>cache:q:<h>:<n>       entries written in window n of a space;
//	                              expires after two windows
//
// <h> is a hash of what users chose (names, passwords never): 128 bits
// of SHA-256 in base64url, so no name reaches another key or shows in
// one. The throttle's and the cache's keys have no hash tag: Cluster
// spreads them, as each call touches one key.
//
// The braces make "revocations" the key's Cluster hash tag. A mark is
// written with ZADD GT (a later mark wins) in one MULTI with the pruning
// of the marks that no longer matter (ZREMRANGEBYSCORE) and the key's own
// expiry, pushed to the last mark's (EXPIRE NX, then GT): a mark expires
// once every ticket it could refuse has timed out, ticket timeout + max
// skew after it; with ticket timeout 0 tickets never time out and marks
// never expire (the key is made persistent). User ids are binary-safe
// members and the payload's member is everything after its first blank,
// so no user id can reach another key or forge another mark.
//
// Measured on Redis 7.0 (MEMORY USAGE of the key over the marks, user
// ids of 10 bytes; TestMemoryPerMark): about 21 bytes a mark up to 128
// marks (listpack encoding), 100 to 115 bytes a mark beyond (skiplist
// and hash table): about 1.1 MB for 10,000 marks.
//
// Sessions, all under the hash tag {sessions}, so that a script's keys
// meet on one Cluster node:
//
//	<prefix>{sessions}:s:<id>     string: the record, JSON with short
//	                              names (u user, t tokens, d data, c
//	                              created, s last seen, ip client, ua user
//	                              agent); expires ticket timeout + max
//	                              skew after its last re-issue
//	<prefix>{sessions}:u:<user>   sorted set: the user's session ids,
//	                              score = their records' expiry
//	<prefix>{sessions}:ended      sorted set: ended session ids, score =
//	                              the end's unix time; kept ticket
//	                              timeout + max skew after it
//	<prefix>sessions@<db>         pub/sub channel: "<unix time> <id>..."
//	                              after each end
//
// A record is created and extended by Lua scripts that keep it and the
// user's index in step (the index pruned of expired ids and expiring with
// its last); an end deletes the record and adds the id to the ended set
// in one MULTI, then announces it. A record is one string, not a hash:
// Redis keeps a hash with a value over 64 bytes (a browser's User-Agent)
// as a hash table, twice the size. Measured (TestMemoryPerSession, user
// ids of 10 bytes, a 78-byte user agent): 296 bytes a record, plus 152
// for a user's index of one session or 53 a session for five: 350 to 450
// bytes a session, about 4.5 MB for 10,000; an ended id costs 120 to 130
// bytes until it expires.
//
// # In each instance
//
// Revocations keeps a copy of the marks in memory, and Sessions one of
// the ended session ids (validators never read the records): an
// immutable map behind an atomic pointer, replaced whole on every change,
// so that Check reads it without a lock or an allocation. A goroutine per
// copy (a follower) keeps it current: it applies what is announced on the
// channel (milliseconds after it happens), reads the whole set again
// every ResyncInterval (10 s) and after every reconnection, in case an
// announcement was missed, and retries every second while Redis is away.
//
// # When Redis is away
//
// The copy is served as it is for StaleAfter (1 min) after Redis last
// answered; then on_outage decides: open (the default for revocation)
// goes on serving it, closed (the default for sessions) makes Check
// answer tkthttp.ErrRevocationUnavailable or tkthttp.ErrSessionsUnavailable
// (503). The throttle's and the cache's calls, which requests wait for,
// are bounded by RequestTimeout (250 ms) and not sent at all while Redis
// is known to be away (ErrUnreachable): the throttle then counts in each
// instance's memory, the cache misses. A probe a second finds Redis back.
// Client logs one line when Redis goes away and one when it returns;
// Client.Status, Revocations.Status and the Fallbacks counters tell
// metrics the rest. Everything resumes by itself
// when Redis answers again.
package shared
