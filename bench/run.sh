#!/usr/bin/env bash
# bench/run.sh: load benchmark of tktd against a bare net/http handler and
# Apache 2.4 + mod_auth_tkt, all on 127.0.0.1, measured with wrk in one run.
# See bench/README.md.
#
#   bash bench/run.sh                 # wrk -t2 -c64 -d10s per target
#   DURATION=5s bash bench/run.sh     # 1s..300s (or 1m..5m)
#   THREADS=4 CONNECTIONS=128 bash bench/run.sh
#   ROUNDS=3 bash bench/run.sh        # 3 interleaved rounds, median per target
#   PIN=0 bash bench/run.sh           # wrk and the servers share every CPU
#   KEEP_TMP=1 bash bench/run.sh      # keep the temp dir (logs, wrk output)
#
# Exit status: 0 when every target was measured (whatever the ratios), 1 when
# something could not be set up or run or a target answered non-2xx under
# load, 2 when a required tool is not installed.
set -euo pipefail

readonly APACHE_BIN=/usr/sbin/apache2
readonly APACHE_MODS=/usr/lib/apache2/modules
readonly WAIT_LIMIT=20 # seconds, for every wait loop

die() {
	echo "bench: error: $*" >&2
	exit 1
}

# --- what must be installed -------------------------------------------------

missing=()
command -v wrk >/dev/null 2>&1 || missing+=("wrk (Debian package wrk)")
[[ -x $APACHE_BIN ]] || missing+=("$APACHE_BIN (Debian package apache2)")
for m in mpm_event authn_core authz_core authz_user alias mime; do
	[[ -f $APACHE_MODS/mod_$m.so ]] || missing+=("$APACHE_MODS/mod_$m.so (Debian package apache2)")
done
[[ -f $APACHE_MODS/mod_auth_tkt.so ]] || missing+=("$APACHE_MODS/mod_auth_tkt.so (Debian package libapache2-mod-auth-tkt)")
command -v curl >/dev/null 2>&1 || missing+=("curl (Debian package curl)")
command -v go >/dev/null 2>&1 || missing+=("go (the Go toolchain, to build tktd)")
if ((${#missing[@]})); then
	echo "bench: missing:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	echo "install with: apt-get install wrk apache2 libapache2-mod-auth-tkt curl" >&2
	exit 2
fi

# --- settings ---------------------------------------------------------------

# DURATION: N, Ns or Nm; at least 1 s, at most 5 min per target.
duration=${DURATION:-10s}
if [[ $duration =~ ^([0-9]{1,4})(s|m)?$ ]]; then
	secs=$((10#${BASH_REMATCH[1]}))
	[[ ${BASH_REMATCH[2]} == m ]] && secs=$((secs * 60))
else
	die "DURATION=$duration: want e.g. 10s, 30 or 1m"
fi
((secs >= 1 && secs <= 300)) || die "DURATION=$duration: must be between 1s and 5m"
# PIN=1 (the default on 2 or more CPUs): the servers run on the first CPU
# this script may use and wrk on the others, so that each server is measured
# by what it can answer on one core, not by how much CPU wrk leaves it.
# Sharing the CPUs (PIN=0) adds wrk's own, equal cost to every request of
# every target, which squeezes the ratios towards 1 and hides the servers'
# differences.
#
# allowed_cpus prints the CPUs this process may run on, one a line (they
# need not be 0..N-1 in a container or under taskset).
allowed_cpus() {
	local list part
	list=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status 2>/dev/null)
	[[ -n $list ]] || list=0-$(($(nproc) - 1))
	local IFS=,
	for part in $list; do
		if [[ $part == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
	done
}
mapfile -t cpu_list < <(allowed_cpus)
ncpu=${#cpu_list[@]}
pin=${PIN:-$((ncpu >= 2))}
[[ $pin =~ ^[01]$ ]] || die "PIN=$pin: want 0 or 1"
if ((pin)); then
	((ncpu >= 2)) || die "PIN=1 needs at least 2 CPUs (this process may use $ncpu)"
	command -v taskset >/dev/null 2>&1 || die "PIN=1 needs taskset (Debian package util-linux)"
	server_cpus=${cpu_list[0]}
	wrk_cpus=$(IFS=,; echo "${cpu_list[*]:1}")
	on_servers=(taskset -c "$server_cpus")
	on_wrk=(taskset -c "$wrk_cpus")
else
	on_servers=() on_wrk=()
fi
threads=${THREADS:-$((pin ? (ncpu - 1 < 2 ? ncpu - 1 : 2) : 2))}
conns=${CONNECTIONS:-64}
[[ $threads =~ ^[0-9]+$ ]] && ((threads >= 1 && threads <= 64)) || die "THREADS=$threads: want 1..64"
[[ $conns =~ ^[0-9]+$ ]] && ((conns >= threads && conns <= 4096)) || die "CONNECTIONS=$conns: want THREADS..4096"
rounds=${ROUNDS:-1}
[[ $rounds =~ ^[1-5]$ ]] || die "ROUNDS=$rounds: want 1..5"
readonly WARMUP=1 # seconds of unmeasured load before each target

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -f go.mod && -d cmd/tktd ]] || die "run from the tkt repository (bench/run.sh)"

# --- temp dir and the processes we start ------------------------------------

# Under /tmp and 0755: Apache's children run as www-data when we are root
# and must reach the document root.
tmp=$(mktemp -d /tmp/tkt-bench.XXXXXX)
chmod 0755 "$tmp"
pids=()

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local pid i
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for ((i = 0; i < 100; i++)); do # 10 s, then SIGKILL
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# Apache's children exit after their parent; give them a moment, then
	# say if anything started from the temp dir is still running.
	for ((i = 0; i < 50; i++)); do
		pgrep -f -- "$tmp/" >/dev/null 2>&1 || break
		sleep 0.1
	done
	if pgrep -f -- "$tmp/" >/dev/null 2>&1; then
		echo "bench: warning: processes left running:" >&2
		pgrep -a -f -- "$tmp/" >&2 || true
		rc=1
	fi
	if [[ ${KEEP_TMP:-} == 1 ]]; then
		echo "bench: KEEP_TMP=1: logs, configs and wrk outputs kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start LOG CMD...: runs CMD in the background, its output to LOG; sets pid.
pid=
start() {
	local log=$1
	shift
	"${on_servers[@]}" "$@" >"$log" 2>&1 </dev/null &
	pid=$!
	pids+=("$pid")
}

# wait_url NAME PID URL LOG...: waits until URL answers 2xx, or fails with
# the tail of the LOGs if PID exits or WAIT_LIMIT passes.
wait_url() {
	local name=$1 p=$2 url=$3 deadline=$((SECONDS + WAIT_LIMIT))
	shift 3
	while ! curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null; do
		if ! kill -0 "$p" 2>/dev/null; then
			tail -n 20 "$@" >&2 2>/dev/null || true
			die "$name exited during start (log above)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 20 "$@" >&2 2>/dev/null || true
			die "$name did not answer $url within ${WAIT_LIMIT}s (log above)"
		fi
		sleep 0.1
	done
}

# --- build ------------------------------------------------------------------

echo "bench: building tktd, tktctl and the bare server into $tmp ..." >&2
for what in tktd:./cmd/tktd tktctl:./cmd/tktctl bare:./bench/bare; do
	timeout 600 go build -o "$tmp/${what%%:*}" "${what#*:}" || die "go build ${what#*:} failed"
done

mapfile -t ports < <(timeout 10 "$tmp/bare" -free-ports 5)
((${#ports[@]} == 5)) || die "could not find free ports"
tktd_addr=127.0.0.1:${ports[0]}
gate_addr=127.0.0.1:${ports[1]}
apache_addr=127.0.0.1:${ports[2]}
revoke_addr=127.0.0.1:${ports[3]} # tktd serve with revocation on
redis_port=${ports[4]}

# --- secret, config, ticket -------------------------------------------------

secret_file=$tmp/secret
"$tmp/tktctl" secret new --out "$secret_file" >/dev/null 2>&1 || die "tktctl secret new failed"
[[ $(stat -c %a "$secret_file") == 600 ]] || die "$secret_file is not mode 0600"
secret=$(<"$secret_file")
[[ $secret =~ ^[0-9a-f]+$ ]] || die "unexpected secret format in $secret_file"

cat >"$tmp/tktd.yaml" <<EOF
ticket: {digest: md5, secret_file: $secret_file, ignore_ip: true, timeout: 2h}
trusted_proxies: [127.0.0.1]
log: {level: info, format: json}
EOF

cookie=$("$tmp/tktctl" mint --secret-file "$secret_file" --digest md5 --user bench --tokens staff --ip 0.0.0.0) ||
	die "tktctl mint failed"
[[ -n $cookie ]] || die "tktctl mint printed nothing"
readonly ORIGINAL_URL=http://app.example.com/page

# --- bare handler -----------------------------------------------------------

start "$tmp/bare.log" "$tmp/bare" -listen 127.0.0.1:0 -addr-file "$tmp/bare.addr"
bare_pid=$pid
deadline=$((SECONDS + WAIT_LIMIT))
until [[ -s $tmp/bare.addr ]]; do
	kill -0 "$bare_pid" 2>/dev/null || { cat "$tmp/bare.log" >&2; die "bare server exited during start"; }
	((SECONDS < deadline)) || die "bare server did not start within ${WAIT_LIMIT}s"
	sleep 0.1
done
bare_addr=$(<"$tmp/bare.addr")
wait_url "bare server" "$bare_pid" "http://$bare_addr/" "$tmp/bare.log"

# --- tktd serve and tktd gate -----------------------------------------------

start "$tmp/tktd.log" "$tmp/tktd" serve --config "$tmp/tktd.yaml" --data-dir "$tmp/data" --listen "$tktd_addr"
tktd_pid=$pid
wait_url "tktd serve" "$tktd_pid" "http://$tktd_addr/healthz" "$tmp/tktd.log"

start "$tmp/gate.log" "$tmp/tktd" gate --config "$tmp/tktd.yaml" --upstream "http://$bare_addr" --listen "$gate_addr"
gate_pid=$pid
wait_url "tktd gate" "$gate_pid" "http://$gate_addr/.tkt/healthz" "$tmp/gate.log"

# --- tktd serve with revocation (a Redis of its own, 1000 marks) ------------

# The same tktd, following the revocation marks of a private Redis, with a
# thousand users' tickets revoked (not the bench user's): what /auth costs
# with the revocation check in its hot path. Without redis-server the
# target is left out.
revocation=0
if command -v redis-server >/dev/null 2>&1; then
	revocation=1
	mkdir -p "$tmp/redis"
	start "$tmp/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp/redis"
	redis_pid=$pid
	deadline=$((SECONDS + WAIT_LIMIT))
	until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do
		kill -0 "$redis_pid" 2>/dev/null || { cat "$tmp/redis.log" >&2; die "redis-server exited during start"; }
		((SECONDS < deadline)) || die "redis-server did not answer within ${WAIT_LIMIT}s"
		sleep 0.1
	done
	cp "$tmp/tktd.yaml" "$tmp/tktd-revocation.yaml"
	echo "redis: {url: 'redis://127.0.0.1:$redis_port/0'}" >>"$tmp/tktd-revocation.yaml"
	# shellcheck disable=SC2046 # one argument per user
	TKT_CONFIG=$tmp/tktd-revocation.yaml "$tmp/tktctl" revoke $(seq -f 'user%g' 1000) >"$tmp/revoke.log" 2>&1 ||
		{ tail -n 5 "$tmp/revoke.log" >&2; die "tktctl revoke failed"; }
	start "$tmp/tktd-revocation.log" "$tmp/tktd" serve --config "$tmp/tktd-revocation.yaml" --data-dir "$tmp/data" --listen "$revoke_addr"
	revoke_pid=$pid
	wait_url "tktd serve with revocation" "$revoke_pid" "http://$revoke_addr/healthz" "$tmp/tktd-revocation.log"
else
	echo "bench: no redis-server (Debian package redis-server): the /auth + revocation target is left out" >&2
fi

# --- Apache 2.4 + mod_auth_tkt ----------------------------------------------

ap=$tmp/apache
mkdir -p "$ap/conf" "$ap/run" "$ap/logs" "$ap/htdocs"
chmod 0755 "$ap" "$ap/htdocs"
printf 'ok' >"$ap/htdocs/ok.txt"
chmod 0644 "$ap/htdocs/ok.txt"
run_as=
if ((EUID == 0)); then
	# Apache refuses to serve as root: its children run as www-data.
	if getent passwd www-data >/dev/null; then
		run_as=$'User www-data\nGroup www-data'
	else
		run_as=$'User nobody\nGroup nogroup'
	fi
fi
# The same file is served twice: /ok.txt open (Apache's ceiling) and
# /tkt/ok.txt behind mod_auth_tkt. No CustomLog: no access log, as tktd
# /auth writes none at level info.
cat >"$ap/conf/httpd.conf" <<EOF
# Written by bench/run.sh for one run.
ServerRoot "$ap"
ServerName 127.0.0.1
Listen $apache_addr
PidFile "$ap/run/apache2.pid"
DefaultRuntimeDir "$ap/run"
Mutex file:$ap/run default
ErrorLog "$ap/logs/error.log"
LogLevel warn
$run_as

LoadModule mpm_event_module $APACHE_MODS/mod_mpm_event.so
LoadModule authn_core_module $APACHE_MODS/mod_authn_core.so
LoadModule authz_core_module $APACHE_MODS/mod_authz_core.so
LoadModule authz_user_module $APACHE_MODS/mod_authz_user.so
LoadModule alias_module $APACHE_MODS/mod_alias.so
LoadModule mime_module $APACHE_MODS/mod_mime.so
LoadModule auth_tkt_module $APACHE_MODS/mod_auth_tkt.so

# Sized for a 2-core machine: 75 threads from the start (more than wrk's
# 64 connections), up to 100, and no child reaped as idle between targets
# (a reaped child drops its keep-alive connections). Keep-alive without a
# request limit so wrk's connections are reused as with the Go servers.
StartServers 3
ServerLimit 4
ThreadsPerChild 25
MinSpareThreads 25
MaxSpareThreads 100
MaxRequestWorkers 100
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 20
HostnameLookups Off
ServerSignature Off
ServerTokens Prod

TypesConfig /dev/null
AddType text/plain .txt

TKTAuthSecret "$secret"
TKTAuthDigestType MD5

DocumentRoot "$ap/htdocs"
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "$ap/htdocs">
  AllowOverride None
  Options FollowSymLinks
  Require all granted
</Directory>
Alias /tkt/ "$ap/htdocs/"
<Location /tkt/>
  AuthType None
  Require valid-user
  TKTAuthLoginURL http://login.example.com/login
  TKTAuthIgnoreIP on
  TKTAuthTimeout 2h
</Location>
EOF
chmod 0600 "$ap/conf/httpd.conf" # it holds the secret; only the root parent reads it
if ! "$APACHE_BIN" -d "$ap" -f "$ap/conf/httpd.conf" -t >"$tmp/apache-t.log" 2>&1; then
	cat "$tmp/apache-t.log" >&2
	die "Apache rejected its configuration (above)"
fi
start "$tmp/apache.log" "$APACHE_BIN" -d "$ap" -f "$ap/conf/httpd.conf" -DFOREGROUND
apache_pid=$pid
wait_url "Apache" "$apache_pid" "http://$apache_addr/ok.txt" "$tmp/apache.log" "$ap/logs/error.log"

# --- targets ----------------------------------------------------------------

# name|URL; every target gets the same request headers.
targets=(
	"bare net/http handler|http://$bare_addr/"
	"tktd /auth|http://$tktd_addr/auth/nginx"
	"tktd gate / (proxy to bare)|http://$gate_addr/"
	"Apache+mod_auth_tkt ok.txt|http://$apache_addr/tkt/ok.txt"
	"Apache ok.txt, no auth|http://$apache_addr/ok.txt"
)
((revocation)) && targets+=("tktd /auth + revocation|http://$revoke_addr/auth/nginx")
headers=(-H "X-Original-URL: $ORIGINAL_URL" -H "Cookie: auth_tkt=$cookie")
# Whose CPU time each target costs: the gate's own (not its upstream's, the
# bare handler's row shows that), Apache's parent and children.
declare -A pid_of=(
	["bare net/http handler"]=$bare_pid
	["tktd /auth"]=$tktd_pid
	["tktd gate / (proxy to bare)"]=$gate_pid
	["Apache+mod_auth_tkt ok.txt"]=$apache_pid
	["Apache ok.txt, no auth"]=$apache_pid
)
((revocation)) && pid_of["tktd /auth + revocation"]=$revoke_pid
clk_tck=$(getconf CLK_TCK)

# cpu_ticks PID: CPU ticks (user+system) used so far by PID, its reaped
# children and its live children (a child may exit while we read).
cpu_ticks() {
	local top=$1 k
	{
		sed 's/^/T /' "/proc/$top/stat" 2>/dev/null || true
		for k in $(pgrep -P "$top" || true); do
			cat "/proc/$k/stat" 2>/dev/null || true
		done
	} | awk '
		{ top = ($1 == "T"); sub(/^.*\) /, "") }  # now $1 is field 3 (state)
		{ sum += $12 + $13 }                       # utime, stime
		top { sum += $14 + $15 }                   # cutime, cstime
		END { print sum + 0 }'
}

# status URL [curl args]: the HTTP status of one GET.
status() {
	local url=$1
	shift
	curl -sS --max-time 5 -o "$tmp/body" -w '%{http_code}' "$@" "$url" 2>"$tmp/curl.err" || {
		cat "$tmp/curl.err" >&2
		echo 000
	}
}

# check NAME URL WANT_REGEX [curl args]: one request must answer WANT.
bad=0
check() {
	local name=$1 url=$2 want=$3
	shift 3
	local got
	got=$(status "$url" "$@")
	if [[ ! $got =~ ^($want)$ ]]; then
		echo "bench: MISCONFIGURED: $name: $url answered $got, want $want" >&2
		head -c 300 "$tmp/body" >&2 2>/dev/null && echo >&2
		bad=1
		return 1
	fi
}

echo "bench: checking every target once ..." >&2
for t in "${targets[@]}"; do
	check "${t%%|*} (with ticket)" "${t#*|}" 200 "${headers[@]}" || continue
	if [[ ${t%%|*} != "tktd /auth"* && $(<"$tmp/body") != ok* ]]; then
		echo "bench: MISCONFIGURED: ${t%%|*}: body is not \"ok\"" >&2
		bad=1
	fi
done
check "tktd /auth (no ticket)" "http://$tktd_addr/auth/nginx" '401|30[237]' -H "X-Original-URL: $ORIGINAL_URL" || true
check "tktd gate (no ticket)" "http://$gate_addr/" '401|30[237]' || true
check "Apache+mod_auth_tkt (no ticket)" "http://$apache_addr/tkt/ok.txt" '401|30[237]' || true
if ((revocation)); then
	# A ticket of a revoked user, older than the marks, must be refused.
	old=$("$tmp/tktctl" mint --secret-file "$secret_file" --digest md5 --user user7 --ip 0.0.0.0 --ts $(($(date +%s) - 60)))
	check "tktd /auth + revocation (revoked user)" "http://$revoke_addr/auth/nginx" 401 -H "X-Original-URL: $ORIGINAL_URL" -H "Cookie: auth_tkt=$old" || true
fi
if ((bad)); then
	tail -n 5 "$tmp/tktd.log" "$tmp/gate.log" "$ap/logs/error.log" >&2 2>/dev/null || true
	die "a target is misconfigured (see above)"
fi

# --- load -------------------------------------------------------------------

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
tktd_lines_before=$(wc -l <"$tmp/tktd.log")
gate_lines_before=$(wc -l <"$tmp/gate.log")

# run_wrk SECONDS URL OUT
run_wrk() {
	timeout --kill-after=5 $(($1 + 30)) "${on_wrk[@]}" wrk -t"$threads" -c"$conns" -d"$1s" --timeout 5s \
		"${headers[@]}" "$2" >"$3" 2>&1
}

declare -A rps=() cpu=() wrkcpu=() fail=() sock=()
for t in "${targets[@]}"; do
	rps[${t%%|*}]= cpu[${t%%|*}]= wrkcpu[${t%%|*}]= fail[${t%%|*}]= sock[${t%%|*}]="0 0 0 0"
done
failed=0
# Rounds interleave the targets, so a burst of other work on the machine
# hits them all alike; the table shows each target's median.
for ((round = 1; round <= rounds; round++)); do
	n=0
	for t in "${targets[@]}"; do
		name=${t%%|*} url=${t#*|}
		n=$((n + 1))
		out=$tmp/wrk.$round.$n.txt
		echo "bench: round $round/$rounds: wrk -t$threads -c$conns -d${secs}s $url  ($name)" >&2
		run_wrk "$WARMUP" "$url" /dev/null || die "wrk warm-up against $name failed"
		ticks0=$(cpu_ticks "${pid_of[$name]}")
		# time reports wrk's own CPU, to show it had room to spare.
		if ! { TIMEFORMAT='%U %S %R' && time run_wrk "$secs" "$url" "$out"; } 2>"$tmp/wrk.time"; then
			cat "$out" "$tmp/wrk.time" >&2
			die "wrk against $name failed"
		fi
		ticks1=$(cpu_ticks "${pid_of[$name]}")
		wrkcpu[$name]+="$(awk '{ if ($3 > 0) printf "%.0f", ($1 + $2) / $3 * 100; else print 0 }' "$tmp/wrk.time") "
		r=$(awk '/^Requests\/sec:/ {print $2}' "$out")
		[[ $r =~ ^[0-9]+(\.[0-9]+)?$ ]] || { cat "$out" >&2; die "no Requests/sec in wrk's output for $name"; }
		rps[$name]+="$r "
		nreq=$(awk '/ requests in / {print $1}' "$out")
		cpu[$name]+="$(awk -v t="$((ticks1 - ticks0))" -v hz="$clk_tck" -v n="${nreq:-0}" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print 0 }') "
		non2xx=$(awk -F': *' '/Non-2xx or 3xx responses:/ {print $2}' "$out")
		if [[ -n $non2xx && $non2xx != 0 ]]; then
			fail[$name]="${fail[$name]:+${fail[$name]}; }FAIL: $non2xx non-2xx"
			failed=1
			echo "bench: FAIL: $name answered $non2xx non-2xx responses under load:" >&2
			cat "$out" >&2
		fi
		# "Socket errors: connect 0, read 7, write 0, timeout 0", summed.
		sockerr=$(awk '/Socket errors:/ {gsub(/[^0-9 ]/, ""); print $1, $2, $3, $4}' "$out")
		if [[ -n $sockerr ]]; then
			echo "bench: warning: $name: socket errors (connect read write timeout): $sockerr" >&2
			sock[$name]=$(echo "${sock[$name]} $sockerr" | awk '{print $1+$5, $2+$6, $3+$7, $4+$8}')
		fi
		# The ticket must still be good after the run (wrk counts only
		# >= 400 as errors; a redirect would slip through).
		got=$(status "$url" "${headers[@]}")
		if [[ $got != 200 ]]; then
			fail[$name]="${fail[$name]:+${fail[$name]}; }FAIL: $got after run"
			failed=1
		fi
	done
done

# median of the numbers in $1 (the lower middle one of an even count)
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# --- report -----------------------------------------------------------------

declare -A med=() medcpu=() medwrk=()
for t in "${targets[@]}"; do
	med[${t%%|*}]=$(median "${rps[${t%%|*}]}")
	medcpu[${t%%|*}]=$(median "${cpu[${t%%|*}]}")
	medwrk[${t%%|*}]=$(median "${wrkcpu[${t%%|*}]}")
done
bare_rps=${med["bare net/http handler"]}
atkt_rps=${med["Apache+mod_auth_tkt ok.txt"]}
auth_rps=${med["tktd /auth"]}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
atleast() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { exit !(b > 0 && a >= k * b) }'; }

echo
if ((rounds > 1)); then
	echo "tkt load benchmark: wrk -t$threads -c$conns -d${secs}s (keep-alive) per target, after ${WARMUP}s warm-up;"
	echo "$rounds rounds, the targets in turn in each; requests/s is each target's median;"
else
	echo "tkt load benchmark: wrk -t$threads -c$conns -d${secs}s (keep-alive) per target, after ${WARMUP}s warm-up;"
fi
if ((pin)); then
	where="the servers on CPU $server_cpus, wrk on CPUs $wrk_cpus"
else
	where="$ncpu CPUs shared by wrk and the servers"
fi
echo "all on 127.0.0.1, $where; $("$APACHE_BIN" -v | sed -n 's/^Server version: //p'), $(go env GOVERSION);"
echo "load average before the run: $load_before (anything else busy on the machine skews the numbers)"
echo
printf '%-30s %12s %9s %15s %12s %9s  %s\n' "target" "requests/s" "vs bare" "vs Apache+tkt" "CPU us/req" "wrk CPU" "check"
printf '%-30s %12s %9s %15s %12s %9s  %s\n' "------" "----------" "-------" "-------------" "----------" "-------" "-----"
for t in "${targets[@]}"; do
	name=${t%%|*}
	r=${med[$name]}
	c=${fail[$name]:-ok}
	read -r se_c se_r se_w se_t <<<"${sock[$name]}"
	if ((se_c + se_r + se_w + se_t)); then
		c="$c; socket errors: connect $se_c, read $se_r, write $se_w, timeout $se_t"
	fi
	printf '%-30s %12.0f %9s %15s %12s %8s%%  %s\n' "$name" "$r" "$(ratio "$r" "$bare_rps")" "$(ratio "$r" "$atkt_rps")" "${medcpu[$name]}" "${medwrk[$name]}" "$c"
done
echo
verdict() { # LABEL A B K
	local res=FAIL
	atleast "$2" "$3" "$4" && res=PASS
	[[ -n ${fail["tktd /auth"]} ]] && res="FAIL (tktd /auth did not answer 200 throughout)"
	printf '%-38s %s (%s)\n' "$1:" "$res" "$(ratio "$2" "$3")"
}
verdict "/auth >= 2x Apache+mod_auth_tkt" "$auth_rps" "$atkt_rps" 2
verdict "/auth >= 0.7x bare handler" "$auth_rps" "$bare_rps" 0.7
if ((revocation)); then
	verdict "/auth + revocation >= 0.95x /auth" "${med["tktd /auth + revocation"]}" "$auth_rps" 0.95
fi

# tktd logs /auth at debug level only; at level info the run must not have
# added a line per request.
tktd_lines=$(($(wc -l <"$tmp/tktd.log") - tktd_lines_before))
gate_lines=$(($(wc -l <"$tmp/gate.log") - gate_lines_before))
auth_info=$(grep -c '"level":"INFO".*"path":"/auth' "$tmp/tktd.log" || true)
echo
echo "tktd serve log during the load: $tktd_lines lines ($auth_info info lines for /auth)"
echo "tktd gate log during the load:  $gate_lines lines (its access log, level info)"
if ((auth_info > 0)); then
	echo "bench: warning: tktd logs /auth requests at level info (want debug only)" >&2
fi
for f in tktd gate; do
	n=$(grep -cE '"level":"(WARN|ERROR)"' "$tmp/$f.log" || true)
	if ((n > 0)); then
		echo "tktd $f logged $n warnings/errors, the first 3:"
		grep -hE '"level":"(WARN|ERROR)"' "$tmp/$f.log" | head -n 3 | cut -c1-200 | sed 's/^/  /' || true
	fi
done

if ((failed)); then
	echo "bench: some targets did not answer 200 throughout: their numbers are not valid" >&2
	exit 1
fi
exit 0
