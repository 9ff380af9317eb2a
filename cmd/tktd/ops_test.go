package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// writeCert writes a self-signed certificate for 127.0.0.1 named cn.
func writeCert(t testing.TB, dir, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func servedCN(t testing.TB, c *certReloader) string {
	t.Helper()
	cert, err := c.getCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir, "first")
	c, err := newCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cn := servedCN(t, c); cn != "first" {
		t.Fatalf("serves %q", cn)
	}
	writeCert(t, dir, "renewed")
	if err := c.reload(); err != nil {
		t.Fatal(err)
	}
	if cn := servedCN(t, c); cn != "renewed" {
		t.Errorf("after reload: serves %q", cn)
	}
	// A half-written renewal keeps the working certificate.
	os.WriteFile(keyFile, []byte("garbage"), 0o600)
	if err := c.reload(); err == nil || !strings.Contains(err.Error(), keyFile) {
		t.Errorf("reload of a bad key: %v", err)
	}
	if cn := servedCN(t, c); cn != "renewed" {
		t.Errorf("after a bad reload: serves %q", cn)
	}
	if _, err := newCertReloader(certFile, keyFile); err == nil {
		t.Error("started with a bad key")
	}
}

func TestWatcher(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("a\n"), 0o600)
	tmpl := filepath.Join(dir, "templates")
	os.MkdirAll(filepath.Join(tmpl, "static"), 0o755)
	w := newWatcher([]string{secret, filepath.Join(dir, "not-yet")}, tmpl)
	if w.changed() {
		t.Error("changed with nothing changed")
	}
	steps := []struct {
		name   string
		change func()
	}{
		{"secret rewritten", func() { os.WriteFile(secret, []byte("bb\n"), 0o600) }},
		{"watched file appears", func() { os.WriteFile(filepath.Join(dir, "not-yet"), nil, 0o600) }},
		{"template added", func() { os.WriteFile(filepath.Join(tmpl, "login.html"), []byte("x"), 0o644) }},
		{"static file added", func() { os.WriteFile(filepath.Join(tmpl, "static", "logo.svg"), []byte("x"), 0o644) }},
		{"secret removed", func() { os.Remove(secret) }},
	}
	for _, s := range steps {
		s.change()
		if !w.changed() {
			t.Errorf("%s: not noticed", s.name)
		}
		if w.changed() {
			t.Errorf("%s: noticed twice", s.name)
		}
	}
}

func TestRunUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: nope\nticket: {digest: sha1}\n"), 0o644)
	tests := []struct {
		args   []string
		env    map[string]string
		code   int
		out    string
		errOut string
	}{
		{[]string{"--version"}, nil, exitOK, "tktd devel", ""},
		{[]string{"serve", "--config", bad}, nil, exitConfig, "", "tktd: the configuration has 2 problems:\n  listen: \"nope\" is not host:port (e.g. 127.0.0.1:8080 or :443)\n  ticket.digest: unknown digest \"sha1\": want md5, sha256, sha512 or hmac-sha256\n"},
		{[]string{"serve"}, map[string]string{"TKT_CONFIG": bad}, exitConfig, "", "tktd: the configuration has 2 problems"},
		{[]string{"serve", "--listen", "x"}, nil, exitConfig, "", `tktd: listen: "x" is not host:port`},
		{[]string{"serve", "--no-such-flag"}, nil, exitConfig, "", "tktd: unknown flag: --no-such-flag"},
		{[]string{"serve", "--config", filepath.Join(dir, "missing.yaml")}, nil, exitConfig, "", "no such file or directory"},
		{[]string{"serve", "--listen", "256.0.0.1:80", "--data-dir", filepath.Join(dir, "d")}, nil, exitFailed, "", "tktd: listen: listen tcp"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(&env{stdout: &out, stderr: &errb, getenv: func(k string) string { return tt.env[k] }}, tt.args)
		if code != tt.code || !strings.HasPrefix(out.String(), tt.out) || !strings.Contains(errb.String(), tt.errOut) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tt.args, code, out.String(), errb.String())
		}
	}
}

// TestServeTLSReloadAndShutdown runs the serve loop in-process over TLS:
// a renewed certificate is served after a SIGHUP-style reload, and ending
// the context shuts down cleanly.
func TestServeTLSReloadAndShutdown(t *testing.T) {
	certDir := t.TempDir()
	certFile, keyFile := writeCert(t, certDir, "first")
	a, _, logs := startApp(t, func(c *config.Config) {
		c.TLS = config.TLS{CertFile: certFile, KeyFile: keyFile}
		c.Server.ReloadInterval = 0
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func() {}, hup, ln) }()

	peerCN := func() string {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := peerCN(); cn != "first" {
		t.Fatalf("serves %q", cn)
	}
	writeCert(t, certDir, "renewed")
	hup <- syscall.SIGHUP
	testenv.WaitFor(t, "the reload", 5*time.Second, func() bool { return strings.Contains(logs.String(), `"reason":"SIGHUP"`) })
	if cn := peerCN(); cn != "renewed" {
		t.Errorf("after the reload: serves %q", cn)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if code, _ := get(t, client, "https://"+ln.Addr().String()+"/healthz"); code != 200 {
		t.Errorf("/healthz over TLS: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return")
	}
	if !strings.Contains(logs.String(), "https://"+ln.Addr().String()+"/login") || !strings.Contains(logs.String(), "drained") {
		t.Errorf("log:\n%s", logs.String())
	}
}
