// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// `polaris setup` (issue 16 item 1), proven with the browsers it set up.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// trustOriginsOnly makes an NSS database in dir that trusts the test
// origins' CA, as a browser trusts real sites, and not Polaris's.
func trustOriginsOnly(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + dir, "--empty-password"},
		{"-A", "-d", "sql:" + dir, "-n", "e2e origins", "-t", "C,,", "-i", theWeb.caFile},
	} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("certutil %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func TestSetupProtectsBrowsers(t *testing.T) {
	w := sharedWeb(t)
	if _, err := exec.LookPath("certutil"); err != nil {
		t.Skip("certutil is missing (Debian package libnss3-tools)")
	}
	// A temporary HOME with a Firefox ESR profile where Firefox ESR
	// creates them (XDG) and Chromium's NSS database; both trust the test
	// origins, neither Polaris.
	home := t.TempDir()
	ffDir := filepath.Join(home, ".config", "mozilla", "firefox")
	profile := filepath.Join(ffDir, "e2e1234.default-esr")
	if err := writeFirefoxPrefs(profile); err != nil {
		t.Fatal(err)
	}
	ini := "[Profile0]\nName=default-esr\nIsRelative=1\nPath=e2e1234.default-esr\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n"
	if err := os.WriteFile(filepath.Join(ffDir, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{profile, filepath.Join(home, ".pki", "nssdb")} {
		if err := trustOriginsOnly(db); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	mustPolaris(t, dir, "config", "set", "https.upstream-ca", w.caFile)
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "POLARIS_NO_AUTO_UPDATE=1"}

	// Without a terminal, the Do Not Track answer must be given: Polaris
	// does not choose it.
	out, code := polarisEnv(t, env, dir, "setup", "--yes", "--gpc", "on", "--https-filter", "yes")
	if code != 2 || !strings.Contains(out, "--dnt") {
		t.Fatalf("setup without --dnt on no terminal: exit %d, %q; want 2 asking for --dnt", code, out)
	}
	// The system proxy and the system store are left alone here: this
	// machine's, not the test's (the browsers are pointed at Polaris).
	out, code = polarisEnv(t, env, dir, "setup", "--yes", "--dnt", "1", "--gpc", "on", "--https-filter", "yes",
		"--system-proxy", "off", "--browsers-only")
	t.Logf("polaris setup:\n%s", out)
	if code != 0 {
		t.Fatalf("setup: exit %d", code)
	}
	for _, want := range []string{"Firefox: profile default-esr", "trusts Polaris: Firefox profile 'default-esr'", "trusts Polaris: Chromium"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup's output does not say %q", want)
		}
	}
	px := startPolaris(t, dir)

	ff, err := launchFirefox(home, profile)
	if err != nil {
		t.Fatalf("Firefox on the set-up profile: %v", err)
	}
	t.Cleanup(ff.close)
	cr, err := launchChromium(home)
	if err != nil {
		t.Fatalf("Chromium on the set-up HOME: %v", err)
	}
	t.Cleanup(cr.close)
	open := func(b browser, name string) *page {
		tb, err := b.open(t, px.addr)
		if err != nil {
			t.Fatalf("%s: opening a tab: %v", name, err)
		}
		p := &page{t: t, tab: tb, browser: name}
		t.Cleanup(func() {
			if t.Failed() {
				p.saveScreenshot("at-failure")
			}
			tb.close()
		})
		return p
	}
	pages := map[string]*page{"Firefox/": open(ff, "firefox-set-up"), "Chrome/": open(cr, "chromium-set-up")}
	s := w.newSite(t, "news", sitePlain)
	elsewhere := w.newSite(t, "shop", sitePlain)
	for _, site := range []*site{s, elsewhere} {
		for _, path := range []string{"/one", "/two", "/three"} {
			site.Page(path, `<!doctype html><title>`+path+`</title><p>page `+path+`</p>`)
		}
	}
	filtered := func(path string) {
		t.Helper()
		for ua, p := range pages {
			p.Navigate(s.HTTPS(path)) // a certificate error fails here
			r := s.WaitRequest(10*time.Second, func(r *seenRequest) bool {
				return r.Path == path && strings.Contains(r.Header.Get("User-Agent"), ua)
			})
			if r == nil {
				t.Fatalf("%s: the origin never got %s", p.browser, path)
			}
			if dnt, gpc := r.Header.Get("DNT"), r.Header.Get("Sec-GPC"); dnt != "1" || gpc != "1" {
				t.Errorf("%s: the origin saw DNT %q, Sec-GPC %q on %s; want 1, 1 (filtered HTTPS)", p.browser, dnt, gpc, path)
			}
		}
	}
	filtered("/one")
	// A third browser profile, never set up, still loads HTTPS pages
	// (untouched, after its one refusal) ...
	third := openUntrustingFirefox(t, px.addr)
	n := loadEventually(third, elsewhere.HTTPS("/one"))
	t.Logf("the profile without the CA loaded its page after %d failure(s)", n)
	if r := elsewhere.WaitRequest(10*time.Second, func(r *seenRequest) bool { return r.Path == "/one" }); r == nil {
		t.Fatal("the page of the profile without the CA never reached its origin")
	} else if dnt := r.Header.Get("DNT"); dnt != "" {
		t.Errorf("the profile without the CA: the origin saw DNT %q, want none (untouched)", dnt)
	}
	// ... and the two set-up browsers stay filtered.
	filtered("/two")
}
