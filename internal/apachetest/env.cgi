#!/bin/sh
# env.cgi - the backend behind every URL of an apachetest server.
#
# It reports what mod_auth_tkt handed the application: one line per variable,
# NAME=<hex of the value's bytes>, or a bare NAME when the variable is not set
# at all. Hex keeps non-ASCII user ids and data byte-exact, and the bare name
# keeps "unset" apart from "set but empty".
printf 'Content-Type: text/plain\r\n'
printf 'X-Apachetest-Backend: env.cgi\r\n'
printf '\r\n'
for v in REMOTE_USER REMOTE_USER_TOKENS REMOTE_USER_DATA AUTH_TYPE REMOTE_ADDR \
         REQUEST_METHOD REQUEST_URI QUERY_STRING HTTP_COOKIE HTTP_HOST; do
  # The names above are fixed, so eval only ever sees these literals.
  if eval "[ \"\${$v+set}\" = set ]"; then
    eval "val=\${$v}"
    printf '%s=' "$v"
    printf '%s' "$val" | od -An -v -tx1 | tr -d ' \n'
    printf '\n'
  else
    printf '%s\n' "$v"
  fi
done
