package pwhash

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/testenv"
)

func TestBcrypt(t *testing.T) {
	tests := []struct {
		cost       int
		wantPrefix string
		wantErr    bool
	}{
		{0, "$2y$10$", false},
		{-1, "$2y$10$", false},
		{4, "$2y$04$", false},
		{5, "$2y$05$", false},
		{3, "", true},
		{MaxBcryptCost + 1, "", true},
	}
	for _, tt := range tests {
		h, err := Bcrypt("pässwörd", tt.cost)
		if (err != nil) != tt.wantErr {
			t.Errorf("Bcrypt(cost %d) error = %v, want error %v", tt.cost, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if !strings.HasPrefix(h, tt.wantPrefix) || len(h) != bcryptHashLen {
			t.Errorf("Bcrypt(cost %d) = %q, want prefix %q and length %d", tt.cost, h, tt.wantPrefix, bcryptHashLen)
		}
		if ok, err := (Verifier{}).Verify(h, "pässwörd"); !ok || err != nil {
			t.Errorf("Verify(Bcrypt(cost %d)) = %v, %v", tt.cost, ok, err)
		}
		if ok, _ := (Verifier{}).Verify(h, "passwörd"); ok {
			t.Errorf("Verify(Bcrypt(cost %d), wrong) = true", tt.cost)
		}
	}
	if _, err := Bcrypt(strings.Repeat("p", 73), 4); !errors.Is(err, bcrypt.ErrPasswordTooLong) {
		t.Errorf("Bcrypt(73 bytes) error = %v, want ErrPasswordTooLong", err)
	}
	a, _ := Bcrypt("same", 4)
	b, _ := Bcrypt("same", 4)
	if a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
}

// TestBcryptApache has Apache's own htpasswd check a hash we made: the
// reason for the $2y$ prefix.
func TestBcryptApache(t *testing.T) {
	bin := testenv.LookPath(t, "htpasswd", "Debian package apache2-utils")
	h, err := Bcrypt("s3cret pw", 5)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(file, []byte("alice:"+h+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-vb", file, "alice", "s3cret pw").CombinedOutput(); err != nil {
		t.Fatalf("htpasswd -vb rejects our hash: %v: %s", err, out)
	}
	if err := exec.Command(bin, "-vb", file, "alice", "wrong").Run(); err == nil {
		t.Fatal("htpasswd -vb accepts a wrong password: the check proves nothing")
	}
}

func TestDummyCostsLikeAWrongPassword(t *testing.T) {
	// Cost 8 takes ~15 ms: long enough that scheduler noise on a busy
	// machine is small next to it, short enough to repeat.
	const cost = 8
	h, err := Bcrypt("right", cost)
	if err != nil {
		t.Fatal(err)
	}
	median := func(f func()) time.Duration {
		var ds []time.Duration
		for range 7 {
			start := time.Now()
			f()
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	// Only a gross failure is asserted (Dummy doing almost no work):
	// closer ratios flake on a busy machine, so they are measured as a
	// ratio in one run by BenchmarkDummy against BenchmarkVerify/bcrypt.
	wrong := median(func() { _, _ = Verifier{}.Verify(h, "wrong") })
	dummy := median(func() { Dummy("wrong", cost) })
	if ratio := float64(dummy) / float64(wrong); ratio < 0.1 {
		t.Errorf("Dummy took %v, a wrong password %v: ratio %.2f, want about 1", dummy, wrong, ratio)
	}
	// A long password must not make Dummy return early (bcrypt refuses
	// more than 72 bytes without hashing).
	long := median(func() { Dummy(strings.Repeat("p", 500), cost) })
	if ratio := float64(long) / float64(wrong); ratio < 0.1 {
		t.Errorf("Dummy(500 bytes) took %v, a wrong password %v: returns early", long, wrong)
	}
}

func TestClampCost(t *testing.T) {
	for in, want := range map[int]int{-5: bcrypt.DefaultCost, 0: bcrypt.DefaultCost, 1: bcrypt.MinCost,
		4: 4, 12: 12, MaxBcryptCost: MaxBcryptCost, 1000: MaxBcryptCost} {
		if got := clampCost(in); got != want {
			t.Errorf("clampCost(%d) = %d, want %d", in, got, want)
		}
	}
}
