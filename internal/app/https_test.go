// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
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
)

func openApp(t *testing.T) *App {
	t.Helper()
	a, err := Open(context.Background(), Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", WatchInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// run starts a and returns once it listens; the test's end stops it.
func run(t *testing.T, a *App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// Turning HTTPS filtering on makes the CA (files 0600) and shows it in the
// status; the CA is loaded once and kept.
func TestFilterOnMakesTheCA(t *testing.T) {
	a := openApp(t)
	run(t, a)
	if st := a.Snapshot().HTTPS.CA; st.Present {
		t.Errorf("a CA exists before filtering was turned on: %+v", st)
	}
	if err := a.Set(context.Background(), "https.filter", "on"); err != nil {
		t.Fatal(err)
	}
	snap := a.Snapshot()
	if !snap.HTTPS.Filter || !snap.HTTPS.CA.Present || len(snap.HTTPS.CA.Fingerprint) != 64 {
		t.Fatalf("HTTPS status after filtering on: %+v", snap.HTTPS)
	}
	for _, f := range []string{"ca.pem", "ca.key"} {
		fi, err := os.Stat(filepath.Join(a.DataDir(), "ca", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("ca/%s: %v, want mode 0600", f, err)
		}
	}
	c1 := a.hx.ca.Load()
	a.Set(context.Background(), "dnt", "1")
	if a.hx.ca.Load() != c1 {
		t.Error("the CA was loaded again after an unrelated change")
	}
	cfg, err := a.tlsConfigForHost("example.com")
	if err != nil || cfg.Certificates[0].Leaf.DNSNames[0] != "example.com" {
		t.Errorf("tlsConfigForHost: %v", err)
	}
	// RegenerateCA swaps in a new CA at once.
	if err := a.RegenerateCA(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fp := a.Snapshot().HTTPS.CA.Fingerprint; fp == snap.HTTPS.CA.Fingerprint || a.hx.ca.Load() == c1 {
		t.Error("RegenerateCA kept the old CA")
	}
}

// What sites answer is stored, listed, and feeds HonorsDNTPolicy while
// blocking.honor-dnt-policy is on.
func TestSiteAnswersAndDNTPolicy(t *testing.T) {
	a := openApp(t)
	run(t, a)
	now := time.Now().UTC().Truncate(time.Second)
	a.siteChecked(status.SiteAnswer{Site: "fair-ads.example", EFFPolicy: true, HonorsDNT: true, Checked: now})
	a.siteChecked(status.SiteAnswer{Site: "gpc.example", HonorsGPC: true, Checked: now})
	a.siteChecked(status.SiteAnswer{Site: "silent.example", Checked: now})
	a.sawTk("tk.example", "N")
	var got []status.SiteAnswer
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		got, _ = a.SiteAnswers(context.Background())
	}
	var sites []string
	for _, s := range got {
		sites = append(sites, s.Site)
	}
	if len(got) != 3 || sites[0] != "fair-ads.example" || sites[1] != "gpc.example" || sites[2] != "tk.example" {
		t.Errorf("SiteAnswers sites = %q, want the three that answered", sites)
	}
	if a.HonorsDNTPolicy("fair-ads.example") {
		t.Error("HonorsDNTPolicy is true while blocking.honor-dnt-policy is off")
	}
	if err := a.Set(context.Background(), "blocking.honor-dnt-policy", "on"); err != nil {
		t.Fatal(err)
	}
	if !a.HonorsDNTPolicy("fair-ads.example") || a.HonorsDNTPolicy("gpc.example") {
		t.Error("HonorsDNTPolicy does not follow the stored EFF policy answers")
	}
	// A site that takes the policy down is no longer honoured.
	a.siteChecked(status.SiteAnswer{Site: "fair-ads.example", Checked: now})
	if a.HonorsDNTPolicy("fair-ads.example") {
		t.Error("HonorsDNTPolicy still true after the site removed its policy")
	}
}

// blocking.honor-dnt-policy end to end: a third party a rule blocks is let
// through once Polaris has seen it post the EFF policy, only while the
// setting is on, and only on requests that carry DNT: 1.
func TestEFFPolicyExemptsBlockedThirdParty(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	tracker := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pixel")
	})}}
	tracker.Start()
	defer tracker.Close()

	a, err := Open(context.Background(), Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Set(context.Background(), "blocking.custom-rules", "||127.0.0.2^$third-party"); err != nil {
		t.Fatal(err)
	}
	c := serveApp(t, a)
	asImage := map[string]string{"Accept": "image/*", "Referer": "http://news.example/", "Sec-Fetch-Dest": "image"}
	waitFor(t, "the custom rule to block", func() bool {
		_, body := fetch(t, c, tracker.URL+"/p.gif", asImage)
		return body != "pixel"
	})
	a.siteChecked(status.SiteAnswer{Site: "127.0.0.2", EFFPolicy: true, HonorsDNT: true, Checked: time.Now()})
	if _, body := fetch(t, c, tracker.URL+"/p.gif", asImage); body == "pixel" {
		t.Fatal("let through although blocking.honor-dnt-policy is off")
	}
	if err := a.Set(context.Background(), "blocking.honor-dnt-policy", "on"); err != nil {
		t.Fatal(err)
	}
	// The policy is a promise about requests with DNT: 1; without one
	// (dnt unset, the default) the tracker stays blocked.
	if _, body := fetch(t, c, tracker.URL+"/p.gif", asImage); body == "pixel" {
		t.Fatal("let through although the request carried no DNT: 1")
	}
	if err := a.Set(context.Background(), "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the EFF policy to exempt the tracker", func() bool {
		_, body := fetch(t, c, tracker.URL+"/p.gif", asImage)
		return body == "pixel"
	})
	// A signal exception for the page's site: no DNT: 1 goes, no exemption.
	if err := a.Set(context.Background(), "signals.exceptions", "news.example=off"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the signal exception to end the exemption", func() bool {
		_, body := fetch(t, c, tracker.URL+"/p.gif", asImage)
		return body != "pixel"
	})
	if err := a.Set(context.Background(), "signals.exceptions", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the exemption to come back", func() bool {
		_, body := fetch(t, c, tracker.URL+"/p.gif", asImage)
		return body == "pixel"
	})
	var found bool
	for _, d := range a.RecentDecisions(20) {
		if d.Host == "127.0.0.2" && d.Verdict == status.Excepted && strings.Contains(d.Reason, "EFF") {
			found = true
		}
	}
	if !found {
		t.Errorf("the live log does not say why the tracker passed: %+v", a.RecentDecisions(5))
	}
}
