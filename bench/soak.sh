#!/usr/bin/env bash
# bench/soak.sh: a short soak of tktd serve. wrk loads /auth/nginx (a valid
# ticket) and GET /login together for DURATION; then the script waits for
# tktd to settle and checks that its goroutines, open files and memory are
# back at the level of a warmed-up start. A leak of any of them fails it.
# See bench/README.md.
#
#   bash bench/soak.sh                  # 60 s, wrk -c32 on each endpoint
#   DURATION=10s bash bench/soak.sh     # 5s..300s
#   CONNECTIONS=64 bash bench/soak.sh
#   KEEP_TMP=1 bash bench/soak.sh       # keep the temp dir (logs, metrics)
#
# Exit status: 0 when everything came back, 1 when something did not (or
# could not be set up), 2 when a required tool is missing.
set -euo pipefail

die() {
	echo "soak: error: $*" >&2
	exit 1
}

missing=()
for tool in wrk curl go; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
	echo "soak: missing: ${missing[*]} (apt-get install wrk curl; Go from go.dev)" >&2
	exit 2
fi

duration=${DURATION:-60s}
[[ $duration =~ ^([0-9]{1,3})s?$ ]] || die "DURATION=$duration: want seconds, e.g. 60s"
secs=$((10#${BASH_REMATCH[1]}))
((secs >= 5 && secs <= 300)) || die "DURATION=$duration: must be between 5s and 300s"
conns=${CONNECTIONS:-32}
[[ $conns =~ ^[0-9]+$ ]] && ((conns >= 1 && conns <= 512)) || die "CONNECTIONS=$conns: want 1..512"

tmp=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "soak: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

cd "$(dirname "$0")/.."
echo "soak: building tktd and tktctl into $tmp ..." >&2
go build -o "$tmp/tktd" ./cmd/tktd
go build -o "$tmp/tktctl" ./cmd/tktctl

# A free loopback port: bind one, read it back, let it go.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) ||
	port=$((20000 + RANDOM % 20000))
base=http://127.0.0.1:$port
data=$tmp/data

# /auth answers only its trusted proxies: wrk, here, from 127.0.0.1. The
# access log goes at debug level: the soak measures tktd, not its disk.
TKT_TRUSTED_PROXIES=127.0.0.1 TKT_LOG_ACCESS=debug TKT_LOG_FORMAT=json \
	"$tmp/tktd" serve --listen "127.0.0.1:$port" --data-dir "$data" >"$tmp/tktd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	curl -fsS "$base/healthz" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || die "tktd exited: $(tail -5 "$tmp/tktd.log")"
	sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || die "tktd does not answer on $base"

cookie=$("$tmp/tktctl" mint --secret-file "$data/secret" --digest hmac-sha256 --user soak --tokens staff --ip 127.0.0.1) ||
	die "tktctl mint failed"
auth=(-H "Cookie: auth_tkt=$cookie" -H "X-Original-URL: http://app.example.com/page")
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/auth/nginx")
[[ $code == 200 ]] || die "/auth/nginx answered $code to a valid ticket"

# metric NAME: the value of an unlabelled series of /metrics, as an integer.
metric() {
	awk -v name="$1" '$1 == name { printf "%d\n", $2; found = 1 } END { if (!found) exit 1 }' "$tmp/metrics"
}
# sample LABEL: scrape the four readings into shell variables LABEL_*.
sample() {
	curl -fsS "$base/metrics" >"$tmp/metrics" || die "scraping /metrics failed"
	cp "$tmp/metrics" "$tmp/metrics.$1"
	printf -v "${1}_goroutines" '%s' "$(metric go_goroutines)"
	printf -v "${1}_fds" '%s' "$(metric process_open_fds)"
	printf -v "${1}_heap" '%s' "$(metric go_memstats_heap_inuse_bytes)"
	printf -v "${1}_rss" '%s' "$(metric process_resident_memory_bytes)"
}
# load SECONDS: wrk on both endpoints at once, reporting non-2xx answers.
load() {
	wrk -t1 -c"$conns" -d"$1s" "${auth[@]}" "$base/auth/nginx" >"$tmp/wrk-auth.txt" 2>&1 &
	local a=$!
	wrk -t1 -c"$conns" -d"$1s" "$base/login" >"$tmp/wrk-login.txt" 2>&1 &
	local l=$!
	wait "$a" "$l" || die "wrk failed: $(cat "$tmp"/wrk-*.txt)"
	for f in "$tmp"/wrk-auth.txt "$tmp"/wrk-login.txt; do
		if grep -q 'Non-2xx' "$f"; then die "non-2xx answers under load ($f): $(grep Non-2xx "$f")"; fi
	done
}
# settle: wait until the goroutines are back to the baseline (every
# connection closed and its goroutine gone), at most 20 s.
settle() {
	for _ in $(seq 40); do
		sample after
		((after_goroutines <= base_goroutines + 2)) && return
		sleep 0.5
	done
}

echo "soak: warming up for 5 s ..." >&2
load 5
sample base
sleep 1
sample base # a second look, once the warm-up's connections are gone
echo "soak: loading /auth/nginx and /login for ${secs}s, $conns connections each ..." >&2
load "$secs"
rps_auth=$(awk '/Requests\/sec/ {print int($2)}' "$tmp/wrk-auth.txt")
rps_login=$(awk '/Requests\/sec/ {print int($2)}' "$tmp/wrk-login.txt")
settle

# Goroutines and descriptors must come back exactly (a little slack for
# the scrape's own connection); memory within half again and 8 MiB of the
# warmed-up level (the garbage collector and the scavenger give memory
# back at their own pace, so "the same" would flake; a leak grows with the
# load and fails it).
fail=0
check() { # name before after limit
	local verdict=ok
	if (($3 > $4)); then verdict=FAIL fail=1; fi
	printf '  %-22s %12s %12s %12s  %s\n' "$1" "$2" "$3" "<= $4" "$verdict"
}
printf 'soak: %ss, /auth/nginx %s req/s and /login %s req/s\n' "$secs" "$rps_auth" "$rps_login"
printf '  %-22s %12s %12s %12s\n' reading before after limit
check goroutines "$base_goroutines" "$after_goroutines" $((base_goroutines + 2))
check "open files" "$base_fds" "$after_fds" $((base_fds + 2))
check "heap in use (bytes)" "$base_heap" "$after_heap" $((base_heap * 3 / 2 + 8 * 1024 * 1024))
check "RSS (bytes)" "$base_rss" "$after_rss" $((base_rss * 3 / 2 + 8 * 1024 * 1024))
kill -0 "$pid" 2>/dev/null || die "tktd died under load: $(tail -5 "$tmp/tktd.log")"
if ((fail)); then
	echo "soak: FAIL: something did not come back" >&2
	exit 1
fi
echo "soak: PASS"
