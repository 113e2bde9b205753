// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// HTTPS filtering through the real binary: the per-install CA, an HTTPS
// origin on 127.0.0.1 with a certificate from a test CA given as
// https.upstream-ca, curl trusting the exported Polaris CA, bad upstream
// certificates, pinning remembered across restarts, and the trust stores of
// a throw-away home directory (certutil).

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// e2eCA is a test certificate authority for the origins.
type e2eCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM on disk
}

func newE2ECA(t *testing.T, name string) *e2eCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return &e2eCA{cert: cert, key: key, file: file}
}

func (c *e2eCA) leaf(t *testing.T, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// httpsOrigin serves the request headers as JSON over HTTPS on ip with cert,
// counting the requests that reach it.
func httpsOrigin(t *testing.T, ip string, cert tls.Certificate) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		json.NewEncoder(w).Encode(r.Header)
	}))
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &n
}

// The whole path: filtering on, curl trusting the exported CA sees the
// origin's page, and the origin sees the signals.
func TestHTTPSFilteringWithCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is missing (apt-get install curl)")
	}
	upstream := newE2ECA(t, "upstream test CA")
	origin, hits := httpsOrigin(t, "127.0.0.1", upstream.leaf(t, []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	dir := t.TempDir()
	mustPolaris(t, dir, "config", "set", "https.filter", "on")
	mustPolaris(t, dir, "config", "set", "https.upstream-ca", upstream.file)
	mustPolaris(t, dir, "config", "set", "dnt", "1")
	caFile := filepath.Join(t.TempDir(), "polaris.pem")
	mustPolaris(t, dir, "ca", "export", caFile)
	for _, f := range []string{"ca.pem", "ca.key"} {
		fi, err := os.Stat(filepath.Join(dir, "ca", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("ca/%s: %v %v, want mode 0600", f, fi.Mode(), err)
		}
	}
	r := startPolaris(t, dir)
	out, err := exec.Command("curl", "-sS", "--max-time", "10", "--cacert", caFile, "-x", "http://"+r.addr, origin.URL+"/private").CombinedOutput()
	if err != nil {
		t.Fatalf("curl --cacert <exported Polaris CA>: %v\n%s\n%s", err, out, r.stderr)
	}
	var h http.Header
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("curl got %q", out)
	}
	if h.Get("Dnt") != "1" || h.Get("Sec-Gpc") != "1" {
		t.Errorf("origin behind HTTPS got DNT %q Sec-GPC %q, want 1 and 1", h.Get("Dnt"), h.Get("Sec-Gpc"))
	}
	// Without the Polaris CA curl refuses: the certificate is Polaris's.
	if err := exec.Command("curl", "-sS", "--max-time", "10", "--cacert", upstream.file, "-x", "http://"+r.addr, origin.URL+"/").Run(); err == nil {
		t.Error("curl trusting only the origin's CA succeeded: HTTPS was not intercepted")
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("origin got %d requests, want 1", n)
	}
	// The status page offers the same CA.
	resp, err := r.client().Get("http://polaris.invalid/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := os.ReadFile(caFile)
	if string(got) != string(want) {
		t.Errorf("status page CA download differs from polaris ca export")
	}
}

// Untrusted, expired and wrong-host upstream certificates give an error
// page saying so, and the origin sees nothing.
func TestHTTPSBadUpstreamCertificates(t *testing.T) {
	upstream, stranger := newE2ECA(t, "upstream test CA"), newE2ECA(t, "unknown CA")
	now := time.Now()
	dir := t.TempDir()
	mustPolaris(t, dir, "config", "set", "https.filter", "on")
	mustPolaris(t, dir, "config", "set", "https.upstream-ca", upstream.file)
	caFile := filepath.Join(t.TempDir(), "polaris.pem")
	mustPolaris(t, dir, "ca", "export", caFile)
	r := startPolaris(t, dir)
	for _, tc := range []struct {
		name string
		cert tls.Certificate
		want string
	}{
		{"untrusted", stranger.leaf(t, []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour)), "not issued by an authority this computer trusts"},
		{"expired", upstream.leaf(t, []string{"127.0.0.1"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour)), "has expired"},
		{"wrong host", upstream.leaf(t, []string{"elsewhere.example"}, now.Add(-time.Hour), now.Add(time.Hour)), "is for another site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin, hits := httpsOrigin(t, "127.0.0.1", tc.cert)
			out, _ := exec.Command("curl", "-sS", "--max-time", "10", "--cacert", caFile, "-x", "http://"+r.addr,
				"-H", "Accept: text/html", "-w", "\n%{http_code}", origin.URL+"/").CombinedOutput()
			if !strings.HasSuffix(string(out), "502") || !strings.Contains(string(out), tc.want) {
				t.Errorf("curl got:\n%s\nwant a 502 page saying %q", out, tc.want)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("origin got %d requests, want none", n)
			}
		})
	}
}

// The redirect for a plain-HTTP search is exact and needs no network.
func TestSearchEngineRedirectThroughBinary(t *testing.T) {
	r := startPolaris(t, t.TempDir())
	c := r.client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get("http://www.google.com/search?q=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "https://www.google.com/search?q=x" {
		t.Errorf("http://www.google.com/search?q=x = %d %q, want 307 to https://www.google.com/search?q=x", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestTwoDataDirsTwoCAs(t *testing.T) {
	var fps []string
	for i := 0; i < 2; i++ {
		out := mustPolaris(t, t.TempDir(), "ca", "export")
		block, _ := pem.Decode([]byte(out))
		if block == nil {
			t.Fatalf("ca export printed %q", out)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !c.IsCA || c.PublicKeyAlgorithm != x509.ECDSA {
			t.Errorf("exported certificate: IsCA %v, key %v", c.IsCA, c.PublicKeyAlgorithm)
		}
		fps = append(fps, string(c.Raw))
	}
	if fps[0] == fps[1] {
		t.Error("two data dirs have the same CA")
	}
}

// connectTLS opens a CONNECT tunnel through addr to target and does a TLS
// handshake in it with cfg.
func connectTLS(addr, target string, cfg *tls.Config) (*tls.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("CONNECT: %v %v", resp, err)
	}
	if br.Buffered() > 0 {
		c.Close()
		return nil, errors.New("data after the CONNECT answer")
	}
	tc := tls.Client(c, cfg)
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// A program that pins the site's certificate rejects Polaris's; the host is
// then passed through, remembered across restarts, shown and forgettable.
func TestPinnedHostRemembered(t *testing.T) {
	upstream := newE2ECA(t, "upstream test CA")
	cert := upstream.leaf(t, []string{"127.0.0.1", "127.0.0.2"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	browserSite, _ := httpsOrigin(t, "127.0.0.1", cert)
	pinnedSite, _ := httpsOrigin(t, "127.0.0.2", cert)
	dir := t.TempDir()
	mustPolaris(t, dir, "config", "set", "https.filter", "on")
	mustPolaris(t, dir, "config", "set", "https.upstream-ca", upstream.file)
	pemBytes := []byte(mustPolaris(t, dir, "ca", "export"))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	roots.AddCert(upstream.cert)
	pinning := &tls.Config{ServerName: "127.0.0.2", RootCAs: roots, VerifyPeerCertificate: func(_ [][]byte, chains [][]*x509.Certificate) error {
		if chains[0][len(chains[0])-1].Subject.CommonName != "upstream test CA" {
			return errors.New("pin mismatch")
		}
		return nil
	}}
	target := strings.TrimPrefix(pinnedSite.URL, "https://")

	r := startPolaris(t, dir)
	u, _ := url.Parse(browserSite.URL)
	browse := func() {
		t.Helper()
		tc, err := connectTLS(r.addr, u.Host, &tls.Config{ServerName: "127.0.0.1", RootCAs: roots})
		if err != nil {
			t.Fatalf("a browser trusting the Polaris CA: %v", err)
		}
		fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", u.Host)
		if resp, err := http.ReadResponse(bufio.NewReader(tc), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("browser request: %v %v", resp, err)
		}
		tc.Close()
	}
	browse()
	if _, err := connectTLS(r.addr, target, pinning); err == nil {
		t.Fatal("the pinning client accepted Polaris's certificate")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(mustPolaris(t, dir, "ca", "status", "--browsers-only"), "passed through (they refused Polaris's certificate): 127.0.0.2") {
		if time.Now().After(deadline) {
			t.Fatalf("ca status does not show 127.0.0.2 as passed through:\n%s", mustPolaris(t, dir, "ca", "status", "--browsers-only"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.cmd.Process.Signal(os.Interrupt)
	r.done <- <-r.done // wait; leave the result for the cleanup

	r = startPolaris(t, dir)
	tc, err := connectTLS(r.addr, target, pinning)
	if err != nil {
		t.Fatalf("after a restart, the pinned host is not passed through: %v", err)
	}
	tc.Close()
	forget := func() {
		t.Helper()
		if out := mustPolaris(t, dir, "ca", "forget", "127.0.0.2"); !strings.Contains(out, "Forgot 1") {
			t.Errorf("ca forget: %s", out)
		}
		// A pin is learned from a client that accepts Polaris's certificate
		// elsewhere; one that never did simply does not trust the CA.
		browse()
		deadline := time.Now().Add(5 * time.Second)
		for {
			tc, err := connectTLS(r.addr, target, pinning)
			if err != nil {
				break // intercepted again
			}
			tc.Close()
			if time.Now().After(deadline) {
				t.Fatal("after ca forget, the host is still passed through")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	forget()
	// Learned and forgotten within one session (once the CA is seen working).
	browse()
	deadline = time.Now().Add(5 * time.Second)
	for {
		tc, err := connectTLS(r.addr, target, pinning)
		if err == nil {
			tc.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pinned host was not learned again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The running Polaris stores it a moment later.
	for !strings.Contains(mustPolaris(t, dir, "ca", "status", "--browsers-only"), "127.0.0.2") {
		if time.Now().After(deadline) {
			t.Fatal("the pinned host learned again is not stored")
		}
		time.Sleep(100 * time.Millisecond)
	}
	forget()
}

// polarisEnv runs a CLI command with a different environment (HOME).
func polarisEnv(t *testing.T, env []string, dataDir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--data-dir", dataDir}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("polaris %v: %v", args, err)
	}
	return string(out), code
}

// ca install/uninstall/regenerate on a Firefox profile of a throw-away
// home directory (the system store is left alone: --browsers-only).
func TestCATrustStoresThroughBinary(t *testing.T) {
	if _, err := exec.LookPath("certutil"); err != nil {
		t.Fatal("certutil is missing (apt-get install libnss3-tools)")
	}
	home := t.TempDir()
	profile := filepath.Join(home, ".mozilla", "firefox", "abcd.default-release")
	os.MkdirAll(profile, 0o700)
	if out, err := exec.Command("certutil", "-N", "-d", "sql:"+profile, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v %s", err, out)
	}
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	dir := t.TempDir()
	listed := func() string {
		out, _ := exec.Command("certutil", "-L", "-d", "sql:"+profile).CombinedOutput()
		return string(out)
	}

	out, code := polarisEnv(t, env, dir, "ca", "install", "--browsers-only")
	if code != 0 || !strings.Contains(out, "added to Firefox profile") {
		t.Fatalf("ca install: exit %d\n%s", code, out)
	}
	if !strings.Contains(listed(), "Polaris CA ") {
		t.Fatalf("certutil -L after install:\n%s", listed())
	}
	out, _ = polarisEnv(t, env, dir, "ca", "install", "--browsers-only")
	if !strings.Contains(out, "already present") {
		t.Errorf("second ca install:\n%s", out)
	}
	out, _ = polarisEnv(t, env, dir, "ca", "status", "--browsers-only")
	if !strings.Contains(out, "installed in Firefox profile") {
		t.Errorf("ca status:\n%s", out)
	}
	oldFP := fingerprintLine(out)

	out, code = polarisEnv(t, env, dir, "ca", "regenerate")
	if code != 0 || !strings.Contains(out, "new certificate authority") {
		t.Fatalf("ca regenerate: exit %d\n%s", code, out)
	}
	if strings.Contains(listed(), "Polaris CA ") {
		t.Errorf("the old CA is still trusted after regenerate:\n%s", listed())
	}
	out, _ = polarisEnv(t, env, dir, "ca", "status", "--browsers-only")
	if fp := fingerprintLine(out); fp == oldFP || fp == "" {
		t.Errorf("fingerprint after regenerate = %q, before %q", fp, oldFP)
	}
	polarisEnv(t, env, dir, "ca", "install", "--browsers-only")
	out, code = polarisEnv(t, env, dir, "ca", "uninstall", "--browsers-only")
	if code != 0 || !strings.Contains(out, "removed from Firefox profile") || strings.Contains(listed(), "Polaris CA ") {
		t.Errorf("ca uninstall: exit %d\n%s\ncertutil -L:\n%s", code, out, listed())
	}
}

func fingerprintLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "SHA-256 fingerprint:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "SHA-256 fingerprint:"))
		}
	}
	return ""
}
