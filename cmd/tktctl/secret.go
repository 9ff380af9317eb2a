package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// Bounds of secret new --bytes. 16 bytes (128 bits) is the least that
// resists brute force of an MD5 ticket offline; past 1 KiB nothing is gained.
const (
	secretMinBytes     = 16
	secretMaxBytes     = 1024
	secretDefaultBytes = 32
)

// errSecretExists: secret new --out refuses to replace a file unless --force.
var errSecretExists = errors.New("file exists (use --force to replace it)")

func newSecretCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "secret",
		Short: "Manage the shared secrets that sign tickets",
		Args:  cobra.ArbitraryArgs,
		RunE:  helpOrUnknown,
	}
	c.AddCommand(newSecretNewCmd(s))
	return c
}

func newSecretNewCmd(s *streams) *cobra.Command {
	var (
		out   string
		n     int
		force bool
	)
	c := &cobra.Command{
		Use:   "new",
		Short: "Generate a strong random secret",
		Long: `Generate a strong random secret from the operating system's CSPRNG, as
lowercase hex (32 bytes give 64 characters). Hex needs no quoting in an Apache
config (TKTAuthSecret "...") nor in YAML, and has no blanks that could be lost.

Without --out the secret goes to stdout. With --out it is written to FILE with
mode 0600, atomically (a temporary file in the same directory, then a rename),
and never over an existing file unless --force is given; replacing a file keeps
its mode if that is narrower than 0600.`,
		Example: `  tktctl secret new --out /etc/tkt/secret
  tktctl secret new --bytes 64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < secretMinBytes || n > secretMaxBytes {
				return usageError("--bytes %d: want %d to %d", n, secretMinBytes, secretMaxBytes)
			}
			b := make([]byte, n)
			if _, err := rand.Read(b); err != nil {
				return fmt.Errorf("random source: %w", err)
			}
			sec := hex.EncodeToString(b) + "\n"
			if out == "" {
				_, err := fmt.Fprint(s.out, sec)
				return err
			}
			perm, err := writeSecretFile(out, sec, force)
			if err != nil {
				return fmt.Errorf("secret new: %s: %w", out, err)
			}
			fmt.Fprintf(s.err, "tktctl: wrote a new %d-bit secret to %s (mode %04o)\n", n*8, out, perm)
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&out, "out", "", "write the secret to `FILE` (mode 0600) instead of stdout")
	fl.IntVar(&n, "bytes", secretDefaultBytes, fmt.Sprintf("`N` random bytes in the secret (%d to %d)", secretMinBytes, secretMaxBytes))
	fl.BoolVar(&force, "force", false, "replace FILE if it exists")
	return c
}

// writeSecretFile writes content to path so that no reader ever sees a
// partial secret and no one else can read it at any moment: the data goes
// to a 0600 temporary file in the same directory first. Without force the
// temporary file is hard-linked into place, which fails if path exists
// (like O_EXCL); with force it is renamed over path, keeping path's mode when
// that is narrower. It returns the mode the file got.
func writeSecretFile(path, content string, force bool) (fs.FileMode, error) {
	perm := fs.FileMode(0o600)
	switch fi, err := os.Lstat(path); {
	case err == nil && !force:
		return 0, errSecretExists
	case err == nil && !fi.Mode().IsRegular():
		return 0, errors.New("not a regular file; refusing to replace it")
	case err == nil:
		perm &= fi.Mode().Perm() // never widen an existing file's mode
	case !errors.Is(err, fs.ErrNotExist):
		return 0, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	// After a successful rename this fails harmlessly; after a link it
	// removes the temporary name; on any error it cleans up.
	defer os.Remove(tmp.Name())
	if err := fillSecretFile(tmp, content, perm); err != nil {
		return 0, err
	}
	if force {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			return 0, errSecretExists
		}
		if err != nil {
			// Some file systems have no hard links; O_EXCL is the next
			// best thing (a crash mid-write could leave a short file).
			err = writeExclusive(path, content, perm)
		}
	}
	if err != nil {
		return 0, err
	}
	syncDir(dir)
	return perm, nil
}

// fillSecretFile sets f's mode before writing a byte, then writes, syncs
// and closes it.
func fillSecretFile(f *os.File, content string, perm fs.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.WriteString(content)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeExclusive(path, content string, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return errSecretExists
	}
	if err != nil {
		return err
	}
	if err := fillSecretFile(f, content, perm); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// syncDir makes a rename or link durable across a crash. Errors are ignored:
// some systems cannot sync a directory, and the file itself is complete.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
