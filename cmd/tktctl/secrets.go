package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tkt-sso/tkt/ticket"
)

// secretEnv is the environment variable a secret may come from when neither
// --secret-file nor --secret is given.
const secretEnv = "TKT_SECRET"

// maxSecretFile bounds what a secret file may hold, so that a mistaken
// --secret-file /dev/zero fails instead of eating memory.
const maxSecretFile = 64 << 10

// secretFlags are the flags of every command that needs the shared secret.
type secretFlags struct {
	file      string
	value     string
	oldFiles  []string
	allowWeak bool
	flags     interface{ Changed(string) bool }
}

// register adds --secret-file, --secret and, when withOld is set,
// --old-secret-file to cmd.
func (f *secretFlags) register(cmd *cobra.Command, withOld bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.file, "secret-file", "", "read the shared secret from `FILE` (one trailing newline is stripped); wins over --secret and $"+secretEnv)
	fs.StringVar(&f.value, "secret", "", "the shared `SECRET` itself (visible to other local users in the process list: prefer --secret-file or $"+secretEnv+")")
	if withOld {
		fs.StringArrayVar(&f.oldFiles, "old-secret-file", nil, "also accept tickets signed with the old secret in `FILE` (TKTAuthSecretOld); repeat for several")
	}
	fs.BoolVar(&f.allowWeak, "allow-weak-secret", false, fmt.Sprintf("accept a secret shorter than %d bytes (a legacy mod_auth_tkt secret; ticket.allow_weak_secret)", ticket.MinSecretLen))
	f.flags = fs
}

// checked refuses a secret shorter than ticket.MinSecretLen unless
// --allow-weak-secret, and warns about one shorter than recommended. what
// names where it came from, never what it is.
func (f *secretFlags) checked(s *streams, what, secret string) (string, error) {
	if err := ticket.CheckSecret(secret); err != nil {
		if !f.allowWeak {
			return "", usageError("%s: %w: anyone holding one of its tickets can guess it and forge others; make a new one with tktctl secret new, or pass --allow-weak-secret for a legacy mod_auth_tkt secret", what, err)
		}
		fmt.Fprintf(s.err, "tktctl: warning: %s is only %d bytes long (--allow-weak-secret): rotate it\n", what, len(secret))
	} else if len(secret) < ticket.RecommendedSecretLen {
		fmt.Fprintf(s.err, "tktctl: warning: %s is %d bytes long; tktctl secret new makes %d\n", what, len(secret), ticket.RecommendedSecretLen)
	}
	return secret, nil
}

// current returns the secret from --secret-file, --secret or $TKT_SECRET,
// in that order. Having none is the caller's mistake (exit 2).
func (f *secretFlags) current(s *streams) (string, error) {
	switch {
	case f.flags.Changed("secret-file"):
		sec, err := readSecretFile(s, f.file)
		if err != nil {
			return "", err
		}
		return f.checked(s, "secret file "+f.file, sec)
	case f.flags.Changed("secret"):
		if f.value == "" {
			return "", usageError("--secret is empty")
		}
		return f.checked(s, "--secret", f.value)
	}
	if v := s.getenv(secretEnv); v != "" {
		return f.checked(s, "$"+secretEnv, v)
	}
	return "", usageError("no secret: give --secret-file FILE, --secret SECRET or the %s environment variable", secretEnv)
}

// old returns the secrets of every --old-secret-file, in order.
func (f *secretFlags) old(s *streams) ([]string, error) {
	var out []string
	for _, p := range f.oldFiles {
		sec, err := readSecretFile(s, p)
		if err == nil {
			sec, err = f.checked(s, "old secret file "+p, sec)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sec)
	}
	return out, nil
}

// readSecretFile reads a secret file, strips one trailing newline and warns
// when others may read it. Only "\n" or "\r\n" is stripped, not other
// blanks: a secret may end in a space (mod_auth_tkt takes it verbatim).
func readSecretFile(s *streams, path string) (string, error) {
	if path == "" {
		return "", usageError("--secret-file is empty")
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", usageError("secret file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return "", usageError("secret file: %w", err)
	}
	// Pipes (--secret-file <(pass show tkt)) have no meaningful mode.
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(s.err, "tktctl: warning: secret file %s is accessible by group or others (mode %04o); run chmod 600 %s\n", path, st.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxSecretFile+1))
	if err != nil {
		return "", usageError("secret file: %w", err)
	}
	if len(b) > maxSecretFile {
		return "", usageError("secret file %s is larger than %d bytes", path, maxSecretFile)
	}
	sec := trimSecretNewline(string(b))
	if sec == "" {
		return "", usageError("secret file %s is empty", path)
	}
	return sec, nil
}

// trimSecretNewline removes one "\n" or "\r\n" from the end of a file's
// content: the newline editors and echo add, and nothing else.
func trimSecretNewline(s string) string {
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		return strings.TrimSuffix(t, "\r")
	}
	return s
}
