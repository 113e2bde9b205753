// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The browsers of the end-to-end tests: Chromium over the DevTools protocol
// (chromium_test.go) and Firefox ESR over Marionette (firefox_test.go),
// headless, each with a fresh profile in a temporary HOME that trusts the
// package's Polaris CA (browserCA), each started once per package and
// stopped by TestMain. A test opens a tab through a proxy (a Polaris of its
// own, see startBrowserPolaris, or none) and drives it with real actions; see
// doc.go for the API.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// browser is one browser program, started once per package.
type browser interface {
	Name() string
	// open makes a tab whose traffic goes through the HTTP proxy at
	// proxyAddr (host:port; "" for none). It is closed at t's end.
	open(t testing.TB, proxyAddr string) (tab, error)
	close()
}

// tab is one page of a browser, the low-level actions of each browser.
type tab interface {
	// navigate loads url and waits for the load event; a page the browser
	// could not load (a network or certificate error) is an error.
	navigate(url string) error
	// eval runs a JavaScript expression in the page (a promise is awaited)
	// and decodes its JSON value into out (which may be nil).
	eval(expr string, out any) error
	// click moves the mouse to the centre of the first element matching a
	// CSS selector and presses and releases the left button there, as a
	// person does (the browser's input pipeline: not element.click()).
	click(selector string) error
	// clickInFrame clicks, with the mouse, the first element matching
	// selector inside the frame that frameSelector names (another origin's
	// frame included).
	clickInFrame(frameSelector, selector string) error
	screenshot() ([]byte, error)
	url() (string, error)
	close()
}

var browserSet struct {
	mu      sync.Mutex
	started map[string]browser
	errs    map[string]error
	ca      *browserCA
	caErr   error
	caOnce  sync.Once
}

// browserNames are the browsers every browser test runs in.
var browserNames = []string{"chromium", "firefox"}

// forEachBrowser runs body as a subtest per browser ("chromium", then
// "firefox"), each with a page through proxyAddr ("" for none), and returns
// when both are done. A browser test may call t.Parallel itself to overlap
// with other tests: Chromium pages are independent; Firefox pages take
// turns (openPage).
func forEachBrowser(t *testing.T, proxyAddr string, body func(t *testing.T, p *page)) {
	t.Helper()
	for _, name := range browserNames {
		t.Run(name, func(t *testing.T) {
			body(t, openPage(t, name, proxyAddr))
		})
	}
}

// forEachBrowserVia is forEachBrowser with subtests named via/browser
// (e.g. "direct/chromium", "polaris/firefox"), to compare a browser through
// Polaris with the same browser without it.
func forEachBrowserVia(t *testing.T, via, proxyAddr string, body func(t *testing.T, p *page)) {
	t.Helper()
	t.Run(via, func(t *testing.T) { forEachBrowser(t, proxyAddr, body) })
}

// openPage opens a tab of the named browser through proxyAddr, starting the
// browser the first time. It fails (skips without the namespace outside CI)
// when the browser cannot run.
func openPage(t testing.TB, name, proxyAddr string) *page {
	t.Helper()
	b := sharedBrowser(t, name)
	if name == "firefox" {
		// One set of proxy preferences for the whole Firefox: its tests
		// take turns.
		firefoxTurn.Lock()
		t.Cleanup(firefoxTurn.Unlock)
	}
	tb, err := b.open(t, proxyAddr)
	if err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	p := &page{t: t, tab: tb, browser: name}
	t.Cleanup(func() {
		if t.Failed() {
			if f := p.saveScreenshot("at-failure"); f != "" {
				t.Logf("%s: screenshot at the failure: %s", name, f)
			}
		}
		tb.close()
	})
	return p
}

var firefoxTurn sync.Mutex

func sharedBrowser(t testing.TB, name string) browser {
	t.Helper()
	sharedWeb(t)
	ca := sharedBrowserCA(t)
	browserSet.mu.Lock()
	defer browserSet.mu.Unlock()
	if b := browserSet.started[name]; b != nil {
		return b
	}
	if err := browserSet.errs[name]; err != nil {
		t.Fatalf("%s could not start: %v", name, err)
	}
	if browserSet.started == nil {
		browserSet.started, browserSet.errs = map[string]browser{}, map[string]error{}
	}
	start := time.Now()
	var b browser
	var err error
	switch name {
	case "chromium":
		b, err = startChromium(ca)
	case "firefox":
		b, err = startFirefox(ca)
	default:
		err = fmt.Errorf("no browser %q", name)
	}
	if err != nil {
		browserSet.errs[name] = err
		t.Fatalf("%s could not start: %v", name, err)
	}
	t.Logf("%s started in %.1f s", name, time.Since(start).Seconds())
	browserSet.started[name] = b
	return b
}

// stopBrowsers stops the browsers and the origins (TestMain).
func stopBrowsers() {
	browserSet.mu.Lock()
	defer browserSet.mu.Unlock()
	for _, b := range browserSet.started {
		b.close()
	}
	browserSet.started = nil
	extraBrowsers.closeAll()
	if browserSet.ca != nil {
		os.RemoveAll(browserSet.ca.dir)
	}
	if theWeb != nil {
		theWeb.close()
	}
}

// browserCA is the Polaris CA of the package: made once by the binary and
// copied into the data dir of each Polaris that browsers use, so that the
// browsers, started once, trust every one of them.
type browserCA struct {
	dir      string // holds ca/ca.pem and ca/ca.key
	certFile string
}

func sharedBrowserCA(t testing.TB) *browserCA {
	t.Helper()
	browserSet.caOnce.Do(func() {
		dir, err := os.MkdirTemp("", "polaris-e2e-ca")
		if err != nil {
			browserSet.caErr = err
			return
		}
		out, err := exec.Command(binary, "--data-dir", dir, "ca", "export", filepath.Join(dir, "polaris-ca.pem")).CombinedOutput()
		if err != nil {
			browserSet.caErr = fmt.Errorf("polaris ca export: %v: %s", err, out)
			return
		}
		browserSet.ca = &browserCA{dir: dir, certFile: filepath.Join(dir, "polaris-ca.pem")}
	})
	if browserSet.caErr != nil {
		t.Fatal(browserSet.caErr)
	}
	return browserSet.ca
}

// installIn copies the CA into a Polaris data dir.
func (c *browserCA) installIn(dataDir string) error {
	if err := os.MkdirAll(filepath.Join(dataDir, "ca"), 0o700); err != nil {
		return err
	}
	for _, f := range []string{"ca.pem", "ca.key"} {
		b, err := os.ReadFile(filepath.Join(c.dir, "ca", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dataDir, "ca", f), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// trustInNSS creates an NSS database in dir (sql:) trusting the CA for web
// sites, as `polaris ca install` or a person with certutil would, and the
// origins' CA, as browsers trust real sites' certificates (seen when Polaris
// does not intercept).
func (c *browserCA) trustInNSS(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + dir, "--empty-password"},
		{"-A", "-d", "sql:" + dir, "-n", "Polaris e2e", "-t", "C,,", "-i", c.certFile},
		{"-A", "-d", "sql:" + dir, "-n", "e2e origins", "-t", "C,,", "-i", theWeb.caFile},
	} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("certutil %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// page is a tab driven by a test: every action that fails fails the test,
// with a screenshot named in the message.
type page struct {
	t       testing.TB
	tab     tab
	browser string
	shots   int
}

// Navigate loads url and fails the test if the browser could not.
func (p *page) Navigate(url string) {
	p.t.Helper()
	if err := p.tab.navigate(url); err != nil {
		p.Fatalf("loading %s: %v", url, err)
	}
}

// TryNavigate loads url and returns the browser's error, if any.
func (p *page) TryNavigate(url string) error { return p.tab.navigate(url) }

// Click clicks the first element matching selector with the mouse.
func (p *page) Click(selector string) {
	p.t.Helper()
	if err := p.tab.click(selector); err != nil {
		p.Fatalf("clicking %s: %v", selector, err)
	}
}

// ClickInFrame clicks, with the mouse, the first element matching selector
// in the frame frameSelector names.
func (p *page) ClickInFrame(frameSelector, selector string) {
	p.t.Helper()
	if err := p.tab.clickInFrame(frameSelector, selector); err != nil {
		p.Fatalf("clicking %s in %s: %v", selector, frameSelector, err)
	}
}

// ClickText clicks, with the mouse, the first visible button, link or
// submit input whose text is text (spaces trimmed). The page's script only
// finds and marks the element; the click is a real one.
func (p *page) ClickText(text string) {
	p.t.Helper()
	p.shots++
	mark := fmt.Sprintf("e2e-%d", p.shots)
	var found bool
	p.Eval(`(() => {
		for (const el of document.querySelectorAll("button, a, input[type=submit]")) {
			const t = (el.innerText || el.value || "").trim();
			if (t === `+jsString(text)+` && el.getClientRects().length > 0) {
				el.setAttribute("data-e2e-click", `+jsString(mark)+`);
				return true;
			}
		}
		return false;
	})()`, &found)
	if !found {
		p.Fatalf("no button or link %q on %s", text, p.URL())
	}
	p.Click(`[data-e2e-click="` + mark + `"]`)
}

// Eval runs a JavaScript expression (promises awaited) and decodes its
// value into out (nil: ignore it).
func (p *page) Eval(expr string, out any) {
	p.t.Helper()
	if err := p.tab.eval(expr, out); err != nil {
		p.Fatalf("evaluating %s: %v", shortJS(expr), err)
	}
}

// String evaluates a JavaScript expression to a string.
func (p *page) String(expr string) string {
	p.t.Helper()
	var s string
	p.Eval(expr, &s)
	return s
}

// URL returns the address of the page shown.
func (p *page) URL() string {
	p.t.Helper()
	u, err := p.tab.url()
	if err != nil {
		p.Fatalf("reading the address: %v", err)
	}
	return u
}

// WaitFor waits until the JavaScript expression is true in the page shown
// (evaluated again after navigations), up to timeout.
func (p *page) WaitFor(expr string, timeout time.Duration) {
	p.t.Helper()
	if err := p.waitFor(expr, timeout); err != nil {
		p.Fatalf("waiting for %s: %v", shortJS(expr), err)
	}
}

func (p *page) waitFor(expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		var ok bool
		// A navigation in progress makes eval fail; try again.
		if last = p.tab.eval("!!("+expr+")", &ok); last == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if last == nil {
				last = fmt.Errorf("still false after %v", timeout)
			}
			return last
		}
		time.Sleep(pause)
	}
}

// WaitURL waits until the page's address starts with prefix.
func (p *page) WaitURL(prefix string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		u, err := p.tab.url()
		if err == nil && strings.HasPrefix(u, prefix) {
			return
		}
		if time.Now().After(deadline) {
			p.Fatalf("the page is at %s (error %v), not at %s...", u, err, prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Text returns the visible text of the page.
func (p *page) Text() string {
	p.t.Helper()
	return p.String("document.body ? document.body.innerText : ''")
}

// Fatalf takes a screenshot and fails the test with a message naming it.
func (p *page) Fatalf(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("%s: %s%s", p.browser, fmt.Sprintf(format, args...), p.shotNote())
}

// Errorf takes a screenshot and marks the test failed with a message naming it.
func (p *page) Errorf(format string, args ...any) {
	p.t.Helper()
	p.t.Errorf("%s: %s%s", p.browser, fmt.Sprintf(format, args...), p.shotNote())
}

func (p *page) shotNote() string {
	p.shots++
	if f := p.saveScreenshot(fmt.Sprint(p.shots)); f != "" {
		return "\n\tscreenshot: " + f
	}
	return ""
}

// saveScreenshot writes a screenshot into the artefact dir and returns its
// path ("" if none could be taken).
func (p *page) saveScreenshot(suffix string) string {
	png, err := p.tab.screenshot()
	if err != nil || len(png) == 0 {
		return ""
	}
	dir := artefactDir(p.t)
	if dir == "" {
		return ""
	}
	f := filepath.Join(dir, p.browser+"-"+suffix+".png")
	if os.WriteFile(f, png, 0o644) != nil {
		return ""
	}
	return f
}

// artefactDir is where a test keeps what explains its failure:
// $POLARIS_ARTEFACTS/<test name> (CI keeps that folder), else
// $TMPDIR/polaris-e2e-artefacts/<test name>. It is not removed.
func artefactDir(t testing.TB) string {
	root := os.Getenv("POLARIS_ARTEFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "polaris-e2e-artefacts")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	dir := filepath.Join(root, name)
	if os.MkdirAll(dir, 0o755) != nil {
		return ""
	}
	return dir
}

func shortJS(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
