// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Interception per client (issue 13 defect 4, issue 16 item 2): a browser
// that lacks Polaris's certificate authority keeps working, unfiltered, and
// never lowers another browser's protection.

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// untrustingFirefox is a second Firefox whose profile trusts the test
// origins' CA (as it trusts real sites) but not Polaris's: a browser the
// set-up never reached. Started once per package, on first use.
var untrustingFirefox struct {
	once sync.Once
	f    *firefox
	err  error
	mu   sync.Mutex // its tests take turns, as with the shared Firefox
}

// openUntrustingFirefox opens a tab of that Firefox through proxyAddr.
func openUntrustingFirefox(t *testing.T, proxyAddr string) *page {
	t.Helper()
	sharedWeb(t)
	u := &untrustingFirefox
	u.once.Do(func() {
		u.f, u.err = startFirefoxWith(func(profile string) error {
			if err := writeFirefoxPrefs(profile); err != nil {
				return err
			}
			for _, args := range [][]string{
				{"-N", "-d", "sql:" + profile, "--empty-password"},
				{"-A", "-d", "sql:" + profile, "-n", "e2e origins", "-t", "C,,", "-i", theWeb.caFile},
			} {
				if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
					return fmt.Errorf("certutil %s: %v: %s", strings.Join(args, " "), err, out)
				}
			}
			return nil
		})
		if u.f != nil {
			extraBrowsers.add(u.f)
		}
	})
	if u.err != nil {
		t.Fatalf("the Firefox without Polaris's CA could not start: %v", u.err)
	}
	u.mu.Lock()
	t.Cleanup(u.mu.Unlock)
	tb, err := u.f.open(t, proxyAddr)
	if err != nil {
		t.Fatalf("firefox without the CA: opening a tab: %v", err)
	}
	p := &page{t: t, tab: tb, browser: "firefox-without-ca"}
	t.Cleanup(func() {
		if t.Failed() {
			if f := p.saveScreenshot("at-failure"); f != "" {
				t.Logf("firefox without the CA: screenshot at the failure: %s", f)
			}
		}
		tb.close()
	})
	return p
}

// extraBrowsers are browsers started by single tests, stopped with the
// shared ones (TestMain's stopBrowsers).
var extraBrowsers browserList

type browserList struct {
	mu sync.Mutex
	bs []browser
}

func (l *browserList) add(b browser) {
	l.mu.Lock()
	l.bs = append(l.bs, b)
	l.mu.Unlock()
}

func (l *browserList) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bs {
		b.close()
	}
	l.bs = nil
}

// loadEventually navigates until the page loads: a browser that does not
// trust Polaris's CA gets its certificate warning the first time (that
// refusal is how Polaris learns it), and the site untouched from then on.
func loadEventually(p *page, url string) (failures int) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := p.TryNavigate(url)
		if err == nil {
			return failures
		}
		failures++
		if time.Now().After(deadline) {
			p.Fatalf("%s never loaded (%d failures), last: %v", url, failures, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestBrowserWithoutCADoesNotLowerOthers(t *testing.T) {
	w := sharedWeb(t)
	s := w.newSite(t, "news", sitePlain)
	other := w.newSite(t, "shop", sitePlain)
	for _, site := range []*site{s, other} {
		for _, path := range []string{"/one", "/two", "/three"} {
			site.Page(path, `<!doctype html><title>`+path+`</title><p>page `+path+`</p>`)
		}
	}
	px := browserPolaris(t, "https.filter", "on", "dnt", "1", "gpc", "on")
	t.Cleanup(func() {
		if t.Failed() {
			px.stop(t)
			for _, l := range strings.Split(px.stderr.String(), "\n") {
				if strings.Contains(l, "HTTPS") || strings.Contains(l, "certificate") {
					t.Logf("polaris: %s", l)
				}
			}
		}
	})
	chromium := openPage(t, "chromium", px.addr)
	firefox := openUntrustingFirefox(t, px.addr)

	// filtered reports whether the origin saw Polaris's signals on the last
	// request for path from a browser whose User-Agent contains ua.
	sawSignals := func(site *site, path, ua string) (dnt, gpc string) {
		t.Helper()
		r := site.WaitRequest(10*time.Second, func(r *seenRequest) bool {
			return r.Path == path && strings.Contains(r.Header.Get("User-Agent"), ua)
		})
		if r == nil {
			t.Fatalf("%s never got %s from %s", site.Host, path, ua)
		}
		return r.Header.Get("DNT"), r.Header.Get("Sec-GPC")
	}

	chromium.Navigate(s.HTTPS("/one"))
	if dnt, gpc := sawSignals(s, "/one", "Chrome/"); dnt != "1" || gpc != "1" {
		t.Fatalf("Chromium (trusting the CA) before: the origin saw DNT %q, Sec-GPC %q; want 1, 1 (filtered)", dnt, gpc)
	}
	// Firefox without the CA: its first HTTPS page gets its own
	// certificate warning; then it loads, untouched.
	n := loadEventually(firefox, s.HTTPS("/two"))
	t.Logf("Firefox without the CA loaded %s after %d failure(s)", s.HTTPS("/two"), n)
	if dnt, _ := sawSignals(s, "/two", "Firefox/"); dnt != "" {
		t.Errorf("Firefox without the CA: the origin saw DNT %q, want none (Polaris does not look inside its HTTPS)", dnt)
	}
	// Another site: no warning at all now.
	if err := firefox.TryNavigate(other.HTTPS("/one")); err != nil {
		firefox.Fatalf("Firefox without the CA on another site after its first refusal: %v", err)
	}
	// Chromium stays filtered, on the site Firefox refused too.
	chromium.Navigate(s.HTTPS("/three"))
	if dnt, gpc := sawSignals(s, "/three", "Chrome/"); dnt != "1" || gpc != "1" {
		t.Errorf("Chromium after Firefox's refusal: the origin saw DNT %q, Sec-GPC %q; want 1, 1 (still filtered)", dnt, gpc)
	}
	chromium.Navigate(other.HTTPS("/two"))
	if dnt, gpc := sawSignals(other, "/two", "Chrome/"); dnt != "1" || gpc != "1" {
		t.Errorf("Chromium on another site: the origin saw DNT %q, Sec-GPC %q; want 1, 1", dnt, gpc)
	}
	// Polaris says so: its status page lists each browser.
	chromium.Navigate("http://polaris.invalid/")
	txt := chromium.Text()
	if !strings.Contains(txt, "does not trust Polaris's certificate") || !strings.Contains(txt, "HTTPS filtered") {
		t.Errorf("Polaris's status page does not tell the browsers apart:\n%s", txt)
	}
}
