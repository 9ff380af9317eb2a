package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tkt-sso/tkt/ticket"
)

// maxSecretSize bounds a secret file (as tktctl does).
const maxSecretSize = 64 << 10

// generatedSecretBytes is the entropy of a generated secret: 256 bits.
const generatedSecretBytes = 32

// checkSecretFile tells whether path can serve as a secret file (a DSN, a
// bind password): a regular file, not empty, not huge. The secret is read
// and dropped at once, and no error holds it: Validate's results are
// printed.
func checkSecretFile(path string) error {
	_, _, err := ReadSecretFile(path)
	return err
}

// checkTicketSecretFile is checkSecretFile for a ticket secret, which must
// also be long enough unless allowWeak.
func checkTicketSecretFile(path string, allowWeak bool) error {
	_, _, err := readSecret("", path, true, allowWeak)
	return err
}

// checkStrength refuses a secret shorter than ticket.MinSecretLen unless
// allowWeak, saying what to do about it.
func checkStrength(path, secret string, allowWeak bool) error {
	if err := ticket.CheckSecret(secret); err != nil && !allowWeak {
		return fmt.Errorf("%s: %w; make a new one with tktctl secret new (then see README, Rotating the secret), or, to keep a legacy mod_auth_tkt secret for now, set ticket.allow_weak_secret: true", path, err)
	}
	return nil
}

// SecretWarning is something wrong with a secret file that does not stop
// tktd: a file others may read, a short secret. tktd logs each at every
// start and reload, and tktctl config check prints the same ones, since
// both come from readSecret.
type SecretWarning struct {
	Key   string // the setting naming the file
	File  string
	Msg   string
	Bytes int  // the secret's length, when that is the problem
	Error bool // logged as an error rather than a warning
}

func (w SecretWarning) String() string {
	s := w.Key + ": " + w.File + ": " + w.Msg
	if w.Bytes > 0 {
		s += fmt.Sprintf(" (%d bytes)", w.Bytes)
	}
	return s
}

// Log writes w to log, never the secret.
func (w SecretWarning) Log(log *slog.Logger) {
	args := []any{"setting", w.Key, "file", w.File}
	if w.Bytes > 0 {
		args = append(args, "bytes", w.Bytes)
	}
	if w.Error {
		log.Error(w.Msg, args...)
	} else {
		log.Warn(w.Msg, args...)
	}
}

// readSecret reads the secret file path of setting key and says what is
// wrong with it: err is a file tktd cannot use; warnings the rest. A
// ticket secret's length counts too: too short is an error unless
// allowWeak, and then a warning logged as an error.
func readSecret(key, path string, ticketSecret, allowWeak bool) (string, []SecretWarning, error) {
	s, loose, err := ReadSecretFile(path)
	if err == nil && ticketSecret {
		err = checkStrength(path, s, allowWeak)
	}
	if err != nil {
		return "", nil, err
	}
	var w []SecretWarning
	if loose {
		w = append(w, SecretWarning{Key: key, File: path, Msg: "secret file is readable by group or others; run chmod 600 on it"})
	}
	switch {
	case !ticketSecret:
	case len(s) < ticket.MinSecretLen:
		w = append(w, SecretWarning{Key: key, File: path, Bytes: len(s), Error: true,
			Msg: "WEAK SECRET IN USE (ticket.allow_weak_secret): one ticket is enough to guess it offline and then forge tickets for any user; rotate it (tktctl secret new)"})
	case len(s) < ticket.RecommendedSecretLen:
		w = append(w, SecretWarning{Key: key, File: path, Bytes: len(s), Msg: "short secret: tkt generates 32 random bytes (tktctl secret new)"})
	}
	return s, w, nil
}

// SecretWarnings lists the warnings tktd logs about the secret files at
// start (TicketConfig and Shared): for tktctl config check, which must not
// call a file good that tktd warns about. Files that cannot be read are
// Validate's to report.
func (c Config) SecretWarnings() []SecretWarning {
	var out []SecretWarning
	add := func(key, path string, ticketSecret bool) {
		if _, w, err := readSecret(key, path, ticketSecret, c.Ticket.AllowWeakSecret); err == nil {
			out = append(out, w...)
		}
	}
	if _, err := os.Lstat(c.SecretPath()); err == nil || c.Ticket.SecretFile != "" {
		add("ticket.secret_file", c.SecretPath(), true)
	}
	for i, f := range c.Ticket.OldSecretFiles {
		add(fmt.Sprintf("ticket.old_secret_files[%d]", i), f, true)
	}
	if f := c.Redis.URLFile; f != "" {
		add("redis.url_file", f, false)
	}
	if f := c.Redis.PasswordFile; f != "" {
		add("redis.password_file", f, false)
	}
	if f := c.Redis.SentinelPasswordFile; f != "" {
		add("redis.sentinel_password_file", f, false)
	}
	return out
}

// openRegular opens path for reading if it is a regular file (through
// symlinks, as Kubernetes mounts secrets).
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, Unreadable("file", path, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// ReadSecretFile reads a secret and strips one trailing "\n" or "\r\n",
// nothing else: a secret may end in a blank, as mod_auth_tkt takes it
// verbatim. loose reports a file that group or others may read.
func ReadSecretFile(path string) (secret string, loose bool, err error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxSecretSize {
		return "", false, fmt.Errorf("%s is larger than %d bytes: not a secret file", path, maxSecretSize)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	if s == "" {
		return "", false, fmt.Errorf("%s is empty", path)
	}
	return s, fi.Mode().Perm()&0o077 != 0, nil
}

// TicketConfig returns the ticket settings with the secrets read from their
// files. A secret file others may read is logged as a warning (never its
// content): anyone who reads it can mint tickets for any user.
func (c Config) TicketConfig(log *slog.Logger) (ticket.Config, error) {
	var p problems
	d, err := ticket.ParseDigest(c.Ticket.Digest)
	if err != nil {
		p.add("ticket.digest", "unknown digest %q", c.Ticket.Digest)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	read := func(key, path string) string {
		s, warnings, err := readSecret(key, path, true, c.Ticket.AllowWeakSecret)
		if err != nil {
			p.wrap(key, err)
			return ""
		}
		for _, w := range warnings {
			w.Log(log)
		}
		return s
	}
	tc := ticket.Config{
		Digest:          d,
		AllowWeakSecret: c.Ticket.AllowWeakSecret,
		Secret:          read("ticket.secret_file", c.SecretPath()),
		Timeout:         c.Ticket.Timeout,
		Refresh:         c.Ticket.Refresh,
		MaxLifetime:     c.Ticket.MaxLifetime,
		MaxSkew:         c.Ticket.MaxSkew,
		IgnoreIP:        c.Ticket.IgnoreIP,
		IPv4Prefix:      c.Ticket.IPv4Prefix,
		IPv6Prefix:      c.Ticket.IPv6Prefix,
		Tokens:          append([]string(nil), c.Ticket.Tokens...),
	}
	for i, f := range c.Ticket.OldSecretFiles {
		tc.OldSecrets = append(tc.OldSecrets, read(fmt.Sprintf("ticket.old_secret_files[%d]", i), f))
	}
	if err := p.err(); err != nil {
		return ticket.Config{}, err
	}
	return tc, nil
}

// EnsureSecret prepares the zero-configuration start: without
// ticket.secret_file it creates DataDir (mode 0700) and, if missing, a
// random 256-bit secret in it (mode 0600). created reports a new secret.
//
// The secret is written to a temporary file and linked into place, so no
// process ever reads a half-written secret, and two tktd starting at once
// agree on one secret: the second link fails and that process uses the
// first one's file.
func (c Config) EnsureSecret() (created bool, err error) {
	if c.Ticket.SecretFile != "" {
		return false, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return false, Unreadable("data directory", c.DataDir, err)
	}
	path := c.SecretPath()
	// Only a secret known to be missing is generated: one that cannot be
	// seen (a data directory of another user) may well be there, and a
	// new one would end every ticket signed with it.
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, secretUnseen(path, err)
	}
	b := make([]byte, generatedSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return false, fmt.Errorf("random source: %w", err)
	}
	created, err = writeNewFile(path, hex.EncodeToString(b)+"\n")
	if err != nil {
		return false, fmt.Errorf("generating the secret %s: %w", path, Unreadable("data directory", c.DataDir, err))
	}
	return created, nil
}

// secretUnseen is the error of a secret file whose existence cannot be
// checked.
func secretUnseen(path string, err error) error {
	return fmt.Errorf("%w; no new secret was generated, since one may be there", Unreadable("secret file", path, err))
}

// writeNewFile creates path with content and mode 0600, atomically, and
// never over an existing file. created is false when path appeared
// meanwhile.
func writeNewFile(path, content string) (created bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name()) // after a link, only the temporary name goes
	err = tmp.Chmod(0o600)
	if err == nil {
		err = fill(tmp, content)
	} else {
		tmp.Close()
	}
	if err != nil {
		return false, err
	}
	err = os.Link(tmp.Name(), path)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		// No hard links on this file system: O_EXCL still never
		// replaces a secret, though a crash could leave a short file.
		return writeExclusive(path, content)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the link durable; some systems can't, and that is fine
		d.Close()
	}
	return true, nil
}

func writeExclusive(path, content string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := fill(f, content); err != nil {
		os.Remove(path)
		return false, err
	}
	return true, nil
}

// fill writes content to f, syncs and closes it.
func fill(f *os.File, content string) error {
	_, err := f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
