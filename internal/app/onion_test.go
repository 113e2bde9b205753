// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/status"
	"polaris/internal/testenv"
)

// Onion sites on the private Tor network: a private onion service reached
// through Polaris by its .onion name in Tor mode (and refused, never looked
// up nor dialled, with Tor off); a site answering Onion-Location is
// recorded and shown, and sent to its onion address only with "prefer
// onion sites" on — over plain HTTP and filtered HTTPS.
func TestOnionSites(t *testing.T) {
	n := testenv.StartTornet(t)
	behind := newPeerOrigin(t, false)
	svc := n.StartOnionService(t, behind.Listener.Addr().String())
	onionURL := "http://" + svc.Host + "/"

	announce := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Onion-Location", "http://"+svc.Host+r.URL.Path)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "clear web")
	}
	clear := httptest.NewServer(http.HandlerFunc(announce))
	defer clear.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(announce))
	defer secure.Close()
	_, clearPort, _ := net.SplitHostPort(clear.Listener.Addr().String())
	_, securePort, _ := net.SplitHostPort(secure.Listener.Addr().String())

	dir := t.TempDir()
	defaultResolver := net.DefaultResolver
	net.DefaultResolver = noLookups(t)
	defer func() { net.DefaultResolver = defaultResolver }()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0", Resolver: noLookups(t)})
	if err != nil {
		t.Fatal(err)
	}
	upstream := filepath.Join(t.TempDir(), "origin.pem")
	if err := os.WriteFile(upstream, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := a.Settings()
	s.Tor.Enabled, s.Tor.Torrc = true, mapNames(t, n.Torrc, "clear", "secure")
	s.HTTPS.Filter, s.HTTPS.UpstreamCA = true, upstream
	if err := a.Apply(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	proxyAddr := <-addr
	defer func() {
		cancel()
		<-done
		a.Close()
	}()
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	c := proxyClient(proxyAddr, &tls.Config{RootCAs: pool})
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Timeout = 60 * time.Second

	t.Run("the onion service through Tor", func(t *testing.T) {
		untilThroughTor(t, c, behind, onionURL, "")
		peers := behind.seen()
		if last := peers[len(peers)-1]; last != svc.PID {
			t.Errorf("the origin behind the onion service was reached by process %d, want the onion service's tor %d", last, svc.PID)
		}
	})

	clearPage := "http://clear.example.com:" + clearPort + "/news"
	securePage := "https://secure.example.com:" + securePort + "/news"
	t.Run("Onion-Location recorded and shown, not followed", func(t *testing.T) {
		for _, page := range []string{clearPage, securePage} {
			code, body := fetch(t, c, page, nav)
			if code != 200 || !strings.Contains(body, "clear web") {
				t.Errorf("%s with prefer-onion off: %d %.200s, want the page itself", page, code, body)
			}
		}
		waitFor(t, "example.com in the snapshot's onion sites", func() bool {
			o := a.Snapshot().Onions
			return len(o) == 1 && o[0] == status.OnionSite{Site: "example.com", Onion: onionURL}
		})
		_, body := fetch(t, c, "http://polaris.invalid/", map[string]string{"Accept": "text/html", "Referer": clearPage})
		if !strings.Contains(body, "This site has an onion address") || !strings.Contains(body, svc.Host) {
			t.Errorf("the status page opened from the site does not name its onion address")
		}
	})

	t.Run("prefer onion sites: the navigation goes to the onion address", func(t *testing.T) {
		s := a.Settings()
		s.Tor.PreferOnion = true
		if err := a.Apply(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		for _, page := range []string{clearPage, securePage} {
			resp, err := c.Do(mustGet(t, page, nav))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || loc != "http://"+svc.Host+"/news" {
				t.Errorf("%s with prefer-onion on: %d to %q, want 302 to the onion address", page, resp.StatusCode, loc)
			}
		}
		before := len(behind.seen())
		if code, body := fetch(t, c, "http://"+svc.Host+"/news", nav); code != 200 || !strings.Contains(body, "hello") {
			t.Errorf("following the redirect: %d %.200s", code, body)
		}
		if len(behind.seen()) != before+1 {
			t.Error("the onion service's origin did not get the request")
		}
	})

	t.Run("Tor off: the onion name is refused, never looked up nor dialled", func(t *testing.T) {
		s := a.Settings()
		s.Tor.Enabled = false
		if err := a.Apply(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		before := len(behind.seen())
		code, body := fetch(t, c, onionURL, nav)
		if code != 502 || !strings.Contains(body, "This is a Tor onion address") || !strings.Contains(body, "Turn on Tor") {
			t.Errorf(".onion with Tor off: %d %.300s, want Polaris's page", code, body)
		}
		if len(behind.seen()) != before {
			t.Error("the onion service was reached with Tor off")
		}
	})
}

func mustGet(t *testing.T, u string, h map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return req
}
