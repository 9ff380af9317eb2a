package pwhash

import (
	"strconv"
	"strings"

	"github.com/go-crypt/x/yescrypt"
)

// Upper bounds on the work a stored hash may ask for. A hash comes from a
// file or a database row that an attacker may have been able to write, or
// that a bad migration corrupted; without bounds one such row could make a
// login take minutes (sha-crypt allows a billion rounds) or allocate
// gigabytes (argon2, scrypt). Each bound is well above what any tool
// writes by default and above today's published recommendations.
const (
	maxArgon2MemoryKiB = 1 << 20 // 1 GiB; RFC 9106's second choice is 64 MiB
	maxArgon2Time      = 64
	maxArgon2Threads   = 64
	maxScryptLogN      = 20 // with r=8, 1 GiB
	maxScryptR         = 32
	maxScryptP         = 16
	maxScryptMemory    = 1 << 30 // bytes: 128 * r * 2^ln
	maxSHACryptRounds  = 10_000_000
	maxPBKDF2Rounds    = 10_000_000
)

// checkWork refuses a go-crypt hash whose parameters exceed the bounds.
// Parameters it can't read are left for the decoder to reject.
func checkWork(scheme, hash string) error {
	parts := strings.Split(hash, "$")
	switch {
	case strings.HasPrefix(scheme, "pbkdf2"):
		return checkPBKDF2(scheme, parts)
	case scheme == "$y$":
		// $y$<flags, log2 N, r>$salt$key; only libxcrypt's default "j"
		// flags are understood, the decoder refuses the rest.
		if len(parts) < 3 {
			return nil
		}
		_, ln, r, err := yescrypt.DecodeSetting([]byte(parts[2]))
		if err != nil {
			return nil
		}
		return checkScrypt(scheme, ln, r)
	}
	scryptLogN, scryptR := 0, 8
	for _, part := range parts {
		for _, kv := range strings.Split(part, ",") {
			key, val, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return malformed(scheme, "unreadable parameter")
			}
			var limit int
			switch {
			case scheme == "$5$" || scheme == "$6$":
				if key != "rounds" {
					continue
				}
				limit = maxSHACryptRounds
			case strings.HasPrefix(scheme, "argon2"):
				switch key {
				case "m":
					limit = maxArgon2MemoryKiB
				case "t":
					limit = maxArgon2Time
				case "p":
					limit = maxArgon2Threads
				default:
					continue
				}
			case scheme == "scrypt":
				switch key {
				case "ln":
					limit, scryptLogN = maxScryptLogN, n
				case "r":
					limit, scryptR = maxScryptR, n
				case "p":
					limit = maxScryptP
				default:
					continue
				}
			default:
				continue
			}
			if n > limit {
				return malformed(scheme, "parameters over the work limit")
			}
		}
	}
	if scheme == "scrypt" {
		return checkScrypt(scheme, scryptLogN, scryptR)
	}
	return nil
}

func checkScrypt(scheme string, logN, r int) error {
	if logN > maxScryptLogN || r > maxScryptR || 128*r<<logN > maxScryptMemory {
		return malformed(scheme, "parameters over the work limit")
	}
	return nil
}

// checkPBKDF2 bounds rounds times output blocks: the stored key's length
// sets how many blocks of rounds each are computed, so a long key is as
// costly as many rounds.
func checkPBKDF2(scheme string, parts []string) error {
	// "", scheme, rounds, salt, key
	if len(parts) != 5 {
		return nil
	}
	rounds, err := strconv.Atoi(parts[2])
	if err != nil || rounds < 0 {
		return malformed(scheme, "unreadable rounds")
	}
	const minDigestLen = 20 // SHA-1, the shortest
	blocks := (len(parts[4])*6/8 + minDigestLen - 1) / minDigestLen
	if rounds > maxPBKDF2Rounds || blocks > maxPBKDF2Rounds/max(rounds, 1) {
		return malformed(scheme, "parameters over the work limit")
	}
	return nil
}
