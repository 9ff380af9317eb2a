#!/bin/bash
# Regenerates vectors.tsv from the real tools: Apache's htpasswd
# (apache2-utils), openssl passwd, Perl's crypt (glibc/libxcrypt), the
# argon2 reference CLI (Debian package argon2) and Python's hashlib (OpenSSL)
# for scrypt and pbkdf2. Run from this directory: ./gen.sh > vectors.tsv
#
# One vector a line: scheme <TAB> password <TAB> hash <TAB> how it was made.
# Passwords hold no tab or newline; they are arguments, so any other byte is
# fair, including ':' (htpasswd splits the *file* line at the first colon,
# user names can't hold one, passwords can).
set -euo pipefail

passwords=(
	'pw'
	'correct horse battery staple'
	'pässwörd✓'
	'$ecret:"'"'"'\*{SHA}'
	'12345678'
)

emit() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }
ht() { htpasswd -nb "$@" 2>/dev/null | head -1 | cut -d: -f2-; }

for p in "${passwords[@]}"; do
	emit bcrypt "$p" "$(ht -B -C 5 u "$p")" 'htpasswd -nbB -C 5'
	emit apr1 "$p" "$(ht -m u "$p")" 'htpasswd -nbm'
	emit sha1 "$p" "$(ht -s u "$p")" 'htpasswd -nbs'
	emit des "$p" "$(ht -d u "$p")" 'htpasswd -nbd'
	emit plain "$p" "$(ht -p u "$p")" 'htpasswd -nbp'
	emit sha256crypt "$p" "$(ht -2 u "$p")" 'htpasswd -nb2'
	emit sha512crypt "$p" "$(ht -5 u "$p")" 'htpasswd -nb5'
	emit sha512crypt "$p" "$(ht -5 -r 12000 u "$p")" 'htpasswd -nb5 -r 12000'
	emit md5crypt "$p" "$(openssl passwd -1 "$p")" 'openssl passwd -1'
	emit apr1 "$p" "$(openssl passwd -apr1 "$p")" 'openssl passwd -apr1'
	emit sha256crypt "$p" "$(openssl passwd -5 "$p")" 'openssl passwd -5'
	emit sha512crypt "$p" "$(openssl passwd -6 "$p")" 'openssl passwd -6'
	emit sha512crypt "$p" "$(openssl passwd -6 -salt 'saltsaltsaltsalt' "$p")" 'openssl passwd -6 -salt (16 chars)'
	for s in ab .. zz './' 9Z; do
		emit des "$p" "$(P="$p" S="$s" perl -e 'print crypt($ENV{P}, $ENV{S})')" "perl crypt salt $s"
	done
	for v in 2a 2b 2y; do
		emit bcrypt "$p" "$(P="$p" V="$v" perl -e 'my @c=("a".."z","A".."Z",0..9,".","/"); my $s=join("",map {$c[rand @c]} 1..21)."e"; print crypt($ENV{P}, "\$$ENV{V}\$04\$$s")')" "perl crypt \$$v\$ (libxcrypt)"
	done
	emit yescrypt "$p" "$(P="$p" perl -e 'my @c=("a".."z","A".."Z",0..9,".","/"); my $s=join("",map {$c[rand @c]} 1..16); print crypt($ENV{P}, "\$y\$j9T\$$s")')" 'perl crypt $y$j9T$ (libxcrypt)'
	for t in id i d; do
		emit "argon2$t" "$p" "$(printf '%s' "$p" | argon2 "salt$RANDOM$RANDOM" -$t -t 2 -m 8 -p 2 -e)" "argon2 -$t -t 2 -m 8 -p 2"
	done
	P="$p" python3 - <<'PY'
import base64, hashlib, os
p = os.environ["P"].encode()
def emit(scheme, h, how): print(f"{scheme}\t{os.environ['P']}\t{h}\t{how}")
ab64 = lambda b: base64.b64encode(b).decode().rstrip("=").replace("+", ".")
std = lambda b: base64.b64encode(b).decode().rstrip("=")
salt = os.urandom(16)
for ln, r, pp in ((10, 8, 1), (8, 4, 2)):
    key = hashlib.scrypt(p, salt=salt, n=1 << ln, r=r, p=pp, dklen=32)
    emit("scrypt", f"$scrypt$ln={ln},r={r},p={pp}${std(salt)}${std(key)}", f"python hashlib.scrypt ln={ln},r={r},p={pp}")
for name, alg, it in (("pbkdf2-sha1", "sha1", 1000), ("pbkdf2-sha256", "sha256", 2000), ("pbkdf2-sha512", "sha512", 3000)):
    key = hashlib.pbkdf2_hmac(alg, p, salt, it)
    ident = "pbkdf2" if alg == "sha1" else name
    emit(name, f"${ident}${it}${ab64(salt)}${ab64(key)}", f"python hashlib.pbkdf2_hmac {alg} {it}")
PY
done

# bcrypt stops at 72 bytes in every C implementation; htpasswd writes the
# hash of the whole string and Apache checks the first 72.
long=$(printf 'L%.0s' $(seq 1 80))
emit bcrypt "$long" "$(ht -B -C 4 u "$long")" 'htpasswd -nbB -C 4 (80 bytes)'
