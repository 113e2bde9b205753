// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/lists"
	"polaris/internal/settings"
	"polaris/internal/stats"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/internal/testenv"
)

// listServer serves a list whose text the test changes, with the
// validators of its mode (an ETag, a Last-Modified date, or none), answers
// 304 to a request that matches them, and records the headers it gets and
// the status it answers.
type listServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	text     string
	ctype    string
	code     int
	delay    time.Duration
	mode     validatorMode
	modified time.Time // of text, for Last-Modified
	gets     []http.Header
	answers  []int
}

// validatorMode is what a listServer uses to tell versions apart.
type validatorMode int

const (
	byETag validatorMode = iota
	byDate
	noValidators
)

func newListServer(t *testing.T, text string) *listServer {
	t.Helper()
	ls := &listServer{text: text, code: 200, ctype: "text/plain; charset=utf-8", modified: time.Now().Add(-time.Hour).Truncate(time.Second)}
	ls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		text, ctype, code, delay, mode, modified := ls.text, ls.ctype, ls.code, ls.delay, ls.mode, ls.modified
		ls.gets = append(ls.gets, r.Header.Clone())
		ls.mu.Unlock()
		time.Sleep(delay)
		etag := fmt.Sprintf(`"%x"`, len(text)*31+strings.Count(text, "a"))
		lastMod := modified.UTC().Format(http.TimeFormat)
		notModified := mode == byETag && r.Header.Get("If-None-Match") == etag ||
			mode == byDate && r.Header.Get("If-Modified-Since") == lastMod
		if code == 200 && notModified {
			code = http.StatusNotModified
		}
		ls.mu.Lock()
		ls.answers = append(ls.answers, code)
		ls.mu.Unlock()
		if code == http.StatusNotModified {
			w.WriteHeader(code)
			return
		}
		w.Header().Set("Content-Type", ctype)
		if code == 200 && mode == byETag {
			w.Header().Set("ETag", etag)
		}
		if code == 200 && mode == byDate {
			w.Header().Set("Last-Modified", lastMod)
		}
		w.WriteHeader(code)
		io.WriteString(w, text)
	}))
	t.Cleanup(ls.srv.Close)
	return ls
}

// set changes what the server answers; a new text gets a later
// Last-Modified date.
func (ls *listServer) set(text, ctype string, code int) {
	ls.mu.Lock()
	if text != ls.text {
		ls.modified = ls.modified.Add(time.Minute)
	}
	ls.text, ls.ctype, ls.code = text, ctype, code
	ls.mu.Unlock()
}

// setMode switches the validators the server sends and honours.
func (ls *listServer) setMode(m validatorMode) {
	ls.mu.Lock()
	ls.mode = m
	ls.mu.Unlock()
}

func (ls *listServer) lastGet() http.Header {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.gets) == 0 {
		return nil
	}
	return ls.gets[len(ls.gets)-1]
}

// lastAnswer returns the status of the last answer, 0 before any.
func (ls *listServer) lastAnswer() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.answers) == 0 {
		return 0
	}
	return ls.answers[len(ls.answers)-1]
}

// requests returns how many requests the server got.
func (ls *listServer) requests() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.gets)
}

// origins listens on 127.0.0.1 (the site) and 127.0.0.2 (the tracker
// host, blocked by "||127.0.0.2^") on one port each.
type origins struct {
	site, tracker string // base URLs
	hits          atomic.Int64
}

func newOrigins(t *testing.T) *origins {
	t.Helper()
	o := &origins{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		w.Header().Set("X-Origin", "1")
		io.WriteString(w, "hello")
	})
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Skipf("cannot listen on %s: %v", ip, err)
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
		srv.Start()
		t.Cleanup(srv.Close)
		if ip == "127.0.0.1" {
			o.site = srv.URL
		} else {
			o.tracker = srv.URL
		}
	}
	return o
}

// openTestApp opens an App on a temporary data dir with quick timings.
func openTestApp(t *testing.T, opts Options) *App {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.StatsFlushInterval == 0 {
		opts.StatsFlushInterval = time.Hour // tests flush by hand
	}
	opts.Log = testLog{t}
	a, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Logf("%s", strings.TrimSpace(string(b)))
	return len(b), nil
}

func fetch(t *testing.T, c *http.Client, u string, h map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	nav   = map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	xhrOf = func(site string) map[string]string { return map[string]string{"Accept": "*/*", "Referer": site + "/"} }
)

// waitFor polls cond for up to 3 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func findList(t *testing.T, a *App, name string) status.List {
	t.Helper()
	lists, err := a.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lists {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no list %q in %+v", name, lists)
	return status.List{}
}

func TestSubscribeUpdateNotModifiedAndGarbage(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	ls := newListServer(t, "[Adblock Plus 2.0]\n! Title: Loopback trackers\n! Expires: 12 hours\n||127.0.0.2^\n")
	a := openTestApp(t, Options{})
	c := serveApp(t, a)
	tracker := o.tracker + "/pixel"
	blocked := func() bool { code, _ := fetch(t, c, tracker, xhrOf(o.site)); return code == 204 }
	if blocked() {
		t.Fatal("the tracker is blocked before its list is added")
	}
	if err := a.AddList(ctx, ls.srv.URL+"/list.txt", ""); err != nil {
		t.Fatal(err)
	}
	if !blocked() {
		t.Fatal("the tracker passes after its list was added")
	}
	l := findList(t, a, "Loopback trackers") // named after its title
	if l.Rules != 1 || l.Interval != lists.DefaultInterval || l.LastSuccess.IsZero() || l.URL != ls.srv.URL+"/list.txt" {
		t.Errorf("subscribed list = %+v", l)
	}
	if ua := ls.lastGet().Get("User-Agent"); !strings.HasPrefix(ua, "Polaris/") {
		t.Errorf("download User-Agent %q, want Polaris/...", ua)
	}
	for _, h := range []string{"Cookie", "Referer", "Dnt", "Sec-Gpc"} {
		if v := ls.lastGet().Get(h); v != "" {
			t.Errorf("the download sent %s: %q", h, v)
		}
	}

	// Not modified: a conditional request, nothing rebuilt.
	if err := a.UpdateLists(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if got := ls.lastGet().Get("If-None-Match"); got == "" {
		t.Error("the update was not a conditional request")
	}
	if l2 := findList(t, a, "Loopback trackers"); !l2.LastSuccess.After(l.LastSuccess.Add(-time.Second)) || l2.LastError != "" {
		t.Errorf("after 304: %+v", l2)
	}

	// Garbage of every kind keeps the old list, and says why.
	for _, g := range []struct {
		name, text, ctype string
		code              int
		want              string
	}{
		{"captive portal", "<!DOCTYPE html><html><body>Log in to the Wi-Fi</body></html>", "text/html", 200, "web page"},
		{"html as text", "<html><head></head></html>", "text/plain", 200, "web page"},
		{"no rules", "! just a comment\n", "text/plain", 200, "no rule"},
		{"mostly garbage", "||ok.example^\n" + strings.Repeat("||x.example^$nosuchoption\n", 50), "text/plain", 200, "mostly not rules"},
		{"binary", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x57", "text/plain", 200, "not text"},
		{"server error", "oops", "text/plain", 503, "503"},
		{"gone", "", "text/plain", 404, "404"},
	} {
		ls.set(g.text, g.ctype, g.code)
		err := a.UpdateLists(ctx, l.ID)
		if err == nil || !strings.Contains(err.Error(), g.want) {
			t.Errorf("%s: UpdateLists = %v, want an error about %q", g.name, err, g.want)
		}
		if !blocked() {
			t.Fatalf("%s: the old list was dropped", g.name)
		}
		if l := findList(t, a, "Loopback trackers"); l.LastError == "" || l.Rules != 1 {
			t.Errorf("%s: list status %+v, want the error and the old rule count", g.name, l)
		}
	}

	// A real new version replaces the old one.
	ls.set("! Title: Loopback trackers\n||127.0.0.3^\n||127.0.0.4^\n", "text/plain", 200)
	if err := a.UpdateLists(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if blocked() {
		t.Error("the old rule still blocks after the update")
	}
	if l := findList(t, a, "Loopback trackers"); l.Rules != 2 || l.LastError != "" {
		t.Errorf("after the new version: %+v", l)
	}

	// Disabling and removing take effect at once.
	ls.set("||127.0.0.2^\n", "text/plain", 200)
	if err := a.UpdateLists(ctx, l.ID); err != nil || !blocked() {
		t.Fatalf("update back: %v", err)
	}
	if err := a.SetListEnabled(ctx, l.ID, false); err != nil || blocked() {
		t.Errorf("disabled list still blocks (%v)", err)
	}
	if err := a.SetListEnabled(ctx, l.ID, true); err != nil || !blocked() {
		t.Errorf("enabled list does not block (%v)", err)
	}
	if err := a.RemoveList(ctx, l.ID); err != nil || blocked() {
		t.Errorf("removed list still blocks (%v)", err)
	}
	if fileExists(a.lists.CachePath(l.ID)) {
		t.Error("the removed list's copy is still on disk")
	}
	if err := a.RemoveList(ctx, l.ID); err == nil || !strings.Contains(err.Error(), "no list") {
		t.Errorf("removing it again: %v", err)
	}
}

// TestUpdateConditionalByDate: a server that dates its lists (Last-Modified,
// no ETag) gets If-Modified-Since, and its 304 keeps the list.
func TestUpdateConditionalByDate(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	ls := newListServer(t, "! Title: dated\n||127.0.0.2^\n")
	ls.setMode(byDate)
	a := openTestApp(t, Options{})
	c := serveApp(t, a)
	blocked := func() bool { code, _ := fetch(t, c, o.tracker+"/pixel", xhrOf(o.site)); return code == 204 }
	if err := a.AddList(ctx, ls.srv.URL+"/dated.txt", ""); err != nil {
		t.Fatal(err)
	}
	first := findList(t, a, "dated")
	if h := ls.lastGet(); h.Get("If-Modified-Since") != "" || h.Get("If-None-Match") != "" {
		t.Errorf("the first download was conditional: %v", h)
	}
	if err := a.UpdateLists(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	ls.mu.Lock()
	want := ls.modified.UTC().Format(http.TimeFormat)
	ls.mu.Unlock()
	if h := ls.lastGet(); h.Get("If-Modified-Since") != want || h.Get("If-None-Match") != "" {
		t.Errorf("update headers If-Modified-Since %q, If-None-Match %q; want %q and none",
			h.Get("If-Modified-Since"), h.Get("If-None-Match"), want)
	}
	if got := ls.lastAnswer(); got != http.StatusNotModified {
		t.Fatalf("the server answered %d, want 304", got)
	}
	if l := findList(t, a, "dated"); l.LastError != "" || l.Rules != 1 || l.LastSuccess.IsZero() {
		t.Errorf("after 304: %+v", l)
	}
	if !blocked() {
		t.Error("the tracker passes after a 304")
	}
	// A newer date brings the new version.
	ls.set("! Title: dated\n||127.0.0.3^\n||127.0.0.4^\n", "text/plain", 200)
	if err := a.UpdateLists(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if got := ls.lastAnswer(); got != 200 {
		t.Errorf("the server answered %d to the changed list, want 200", got)
	}
	if l := findList(t, a, "dated"); l.Rules != 2 || blocked() {
		t.Errorf("after the new version: %+v, tracker blocked %v", l, blocked())
	}
}

// TestValidatorsFollowTheServer: the same list served with other validators
// (the server switched from ETag to Last-Modified, then dropped both) is
// not a change, but the next update sends what the server sent last.
func TestValidatorsFollowTheServer(t *testing.T) {
	ctx := context.Background()
	ls := newListServer(t, "! Title: switching\n||127.0.0.2^\n")
	a := openTestApp(t, Options{})
	defer a.Close()
	if err := a.AddList(ctx, ls.srv.URL+"/switching.txt", ""); err != nil {
		t.Fatal(err)
	}
	id := findList(t, a, "switching").ID
	update := func(step string) http.Header {
		t.Helper()
		if err := a.UpdateLists(ctx, id); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if l := findList(t, a, "switching"); l.LastError != "" || l.Rules != 1 {
			t.Errorf("%s: %+v", step, l)
		}
		return ls.lastGet()
	}
	for _, step := range []struct {
		name     string
		mode     validatorMode
		answer   int    // to this update
		inm, ims string // sent by the update after it ("date": the list's date)
	}{
		{"by ETag", byETag, 304, "etag", ""},
		{"switched to Last-Modified", byDate, 200, "", "date"},
		{"by Last-Modified", byDate, 304, "", "date"},
		{"no validators", noValidators, 200, "", ""},
		{"still none", noValidators, 200, "", ""},
		{"back to ETag", byETag, 200, "etag", ""},
	} {
		ls.setMode(step.mode)
		update(step.name)
		if got := ls.lastAnswer(); got != step.answer {
			t.Errorf("%s: the server answered %d, want %d", step.name, got, step.answer)
		}
		h := update(step.name + ", next")
		ls.mu.Lock()
		etag, date := fmt.Sprintf(`"%x"`, len(ls.text)*31+strings.Count(ls.text, "a")), ls.modified.UTC().Format(http.TimeFormat)
		ls.mu.Unlock()
		want := map[string]string{"": "", "etag": etag, "date": date}
		if got := h.Get("If-None-Match"); got != want[step.inm] {
			t.Errorf("%s: the next update sent If-None-Match %q, want %q", step.name, got, want[step.inm])
		}
		if got := h.Get("If-Modified-Since"); got != want[step.ims] {
			t.Errorf("%s: the next update sent If-Modified-Since %q, want %q", step.name, got, want[step.ims])
		}
	}
}

func TestAddListRefusals(t *testing.T) {
	ctx := context.Background()
	ls := newListServer(t, "||a.example^\n")
	a := openTestApp(t, Options{})
	defer a.Close()
	ls.set("<html>nope</html>", "text/html", 200)
	if err := a.AddList(ctx, ls.srv.URL+"/x", ""); err == nil || !strings.Contains(err.Error(), "nothing was added") {
		t.Errorf("adding a web page: %v", err)
	}
	lists, _ := a.Lists(ctx)
	if len(lists) != 4 {
		t.Errorf("a failed add left a list behind: %+v", lists)
	}
	for _, src := range []string{"ftp://example.com/list.txt", "not a thing", "http://", "builtin:polaris"} {
		if err := a.AddList(ctx, src, ""); err == nil {
			t.Errorf("AddList(%q) = nil error", src)
		}
	}
	ls.set("||a.example^\n", "text/plain", 200)
	if err := a.AddList(ctx, ls.srv.URL+"/y", "mine"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddList(ctx, ls.srv.URL+"/y", "again"); err == nil || !strings.Contains(err.Error(), "already subscribed") {
		t.Errorf("adding it twice: %v", err)
	}
	if err := a.SetListInterval(ctx, findList(t, a, "mine").ID, 3*time.Hour); err == nil {
		t.Error("SetListInterval(3h) = nil error")
	}
	if err := a.SetListInterval(ctx, findList(t, a, "mine").ID, 12*time.Hour); err != nil {
		t.Error(err)
	}
	// Tor mode on and Polaris not running: no direct download.
	s := a.Settings()
	s.Tor.Enabled = true
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := a.AddList(ctx, ls.srv.URL+"/z", ""); err == nil || !strings.Contains(err.Error(), "Tor") {
		t.Errorf("adding a list in Tor mode without a running Polaris: %v", err)
	}
}

func TestAddLocalFile(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	a := openTestApp(t, Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts")
	os.WriteFile(path, []byte("# my hosts\n0.0.0.0 127.0.0.2\n0.0.0.0 ads.example\nnot a host line at all here\n"), 0o600)
	if err := a.AddList(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	l := findList(t, a, "hosts")
	if l.Format != "hosts" || l.Rules != 2 || l.Source != path || l.URL != "" || l.Errors != 1 {
		t.Errorf("local list = %+v", l)
	}
	os.Remove(path) // read once: the copy is Polaris's own
	c := serveApp(t, a)
	if code, _ := fetch(t, c, o.tracker+"/x", xhrOf(o.site)); code != 204 {
		t.Errorf("tracker with the local list: %d, want 204", code)
	}
	if err := a.UpdateLists(ctx, l.ID); err == nil {
		t.Error("updating a local copy: nil error")
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("! nothing\n"), 0o600)
	if err := a.AddList(ctx, bad, ""); err == nil {
		t.Error("adding a file without rules: nil error")
	}
}

// churn is a running App subscribed to a list "churn" that a local server
// serves, with clients hammering the proxy (see hammer).
type churn struct {
	o    *origins
	ls   *listServer
	a    *App
	id   int64
	stop func(during string)
	// version is the list with n pairs of rules (hosts PREFIXi.example,
	// paths /adi/), always blocking 127.0.0.2.
	version func(n int) string
}

func churnList(t *testing.T, prefix string) churn {
	t.Helper()
	ch := churn{o: newOrigins(t)}
	ch.version = func(n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "! Title: churn\n||127.0.0.2^\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "||%s%d.example^\n/ad%d/*$image\n", prefix, i, i)
		}
		return b.String()
	}
	ch.ls = newListServer(t, ch.version(10))
	ch.a = openTestApp(t, Options{})
	c := serveApp(t, ch.a)
	if err := ch.a.AddList(context.Background(), ch.ls.srv.URL+"/churn.txt", ""); err != nil {
		t.Fatal(err)
	}
	ch.id = findList(t, ch.a, "churn").ID
	ch.stop = hammer(t, c, ch.o)
	return ch
}

// TestListGrowsAndShrinksUnderLoad updates a list between a large and a
// small version over and over while clients hammer the proxy: no request
// may fail, and a host both versions block is always blocked.
func TestListGrowsAndShrinksUnderLoad(t *testing.T) {
	ctx := context.Background()
	ch := churnList(t, "t")
	sizes := []int{5000, 10, 20000, 0, 8000, 3}
	for round := 0; round < 12; round++ {
		n := sizes[round%len(sizes)]
		ch.ls.set(ch.version(n), "text/plain", 200)
		if err := ch.a.UpdateLists(ctx, ch.id); err != nil {
			t.Fatal(err)
		}
		if got, want := findList(t, ch.a, "churn").Rules, 1+2*n; got != want {
			t.Errorf("round %d: list has %d rules, want %d", round, got, want)
		}
	}
	ch.stop("12 list updates")
}

// blockPageForms returns the action forms of a block page.
func blockPageForms(body string) map[string]url.Values {
	forms := map[string]url.Values{}
	for _, f := range regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`).FindAllStringSubmatch(body, -1) {
		v := url.Values{}
		for _, in := range regexp.MustCompile(`name="([a-z]+)" value="([^"]*)"`).FindAllStringSubmatch(f[2], -1) {
			v.Set(in[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(in[2]))
		}
		forms[f[1]] = v
	}
	return forms
}

func TestBlockPageAllowSiteIsSaved(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	a := openTestApp(t, Options{})
	s := a.Settings()
	s.Blocking.CustomRules = "||127.0.0.2^\n"
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	c := serveApp(t, a)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	code, body := fetch(t, c, o.tracker+"/", nav)
	if code != 403 || !strings.Contains(body, "||127.0.0.2^") || !strings.Contains(body, "My rules") {
		t.Fatalf("blocked navigation: %d %.200q", code, body)
	}
	// The block page links to Polaris's confirmation page, whose form
	// carries the token.
	link := regexp.MustCompile(`href="(http://polaris\.invalid/blocked/confirm\?action=site[^"]*)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("no allow-site link on the block page: %.300q", body)
	}
	code, page := fetch(t, c, strings.ReplaceAll(link[1], "&amp;", "&"), nav)
	form := blockPageForms(page)["/blocked/allow-site"]
	if code != 200 || form.Get("target") != "127.0.0.2" {
		t.Fatalf("confirmation page: %d, allow-site form = %v", code, form)
	}
	// Another page cannot use it.
	req, _ := http.NewRequest("POST", "http://polaris.invalid/blocked/allow-site", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("cross-site POST with the token: %v %v", resp, err)
	}
	req, _ = http.NewRequest("POST", "http://polaris.invalid/blocked/allow-site", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://polaris.invalid")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("always allow: %v %v", resp, err)
	}
	if got := a.Settings().Blocking.Allowlist; len(got) != 1 || got[0] != "127.0.0.2" {
		t.Errorf("allowlist after always allow = %v", got)
	}
	if code, _ := fetch(t, c, o.tracker+"/", nav); code != 200 {
		t.Errorf("the allowed site: %d, want 200", code)
	}
	// It is stored: another App on the data dir sees it.
	b, err := Open(ctx, Options{DataDir: a.DataDir(), Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.Settings().Blocking.Allowlist; len(got) != 1 {
		t.Errorf("stored allowlist = %v", got)
	}
}

func TestCategoriesCustomRulesAndProtection(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	ls := newListServer(t, "||127.0.0.2^\n")
	a := openTestApp(t, Options{})
	c := serveApp(t, a)
	if err := a.AddList(ctx, ls.srv.URL+"/ads.txt", "ads"); err != nil {
		t.Fatal(err)
	}
	st, _ := a.store()
	id := findList(t, a, "ads").ID
	// Give the list a category, as the catalogue does.
	st.SetListInfo(ctx, store.ListRow{ID: id, Name: "ads", URL: ls.srv.URL + "/ads.txt", Format: "abp", Category: "advertising"})
	a.lists.Reload(ctx)
	tracker := func() int { code, _ := fetch(t, c, o.tracker+"/x", xhrOf(o.site)); return code }
	if got := tracker(); got != 204 {
		t.Fatalf("advertising blocked: %d", got)
	}
	apply := func(key, value string) {
		t.Helper()
		if err := a.Set(ctx, key, value); err != nil {
			t.Fatalf("set %s %s: %v", key, value, err)
		}
	}
	apply("blocking.categories", "analytics,social")
	if got := tracker(); got != 200 {
		t.Errorf("advertising switched off: %d, want 200", got)
	}
	if a.Settings().Blocking.Preset != settings.PresetCustom {
		t.Errorf("preset = %s, want custom", a.Settings().Blocking.Preset)
	}
	apply("blocking.preset", "strict")
	if got := tracker(); got != 204 {
		t.Errorf("strict: %d, want 204", got)
	}
	// The user's own rules, with a bad line reported.
	apply("blocking.custom-rules", "||127.0.0.1^$third-party\n@@||127.0.0.2^$domain=127.0.0.1\n||bad^$nosuchoption\n")
	if got := tracker(); got != 200 {
		t.Errorf("an exception in my rules: %d, want 200", got)
	}
	snap := a.Snapshot()
	if len(snap.Blocking.CustomErrors) != 1 || snap.Blocking.CustomErrors[0].Line != 3 {
		t.Errorf("custom rule errors = %+v, want line 3", snap.Blocking.CustomErrors)
	}
	if err := a.ValidateRule("||x.example^$nosuchoption"); err == nil {
		t.Error("ValidateRule of an unknown option = nil")
	}
	if err := a.ValidateRule("||x.example^$third-party"); err != nil {
		t.Errorf("ValidateRule of a good rule: %v", err)
	}
	apply("blocking.custom-rules", "")
	if got := tracker(); got != 204 {
		t.Errorf("custom rules removed: %d, want 204", got)
	}
	apply("blocking.allowlist", "127.0.0.1")
	if got := tracker(); got != 200 {
		t.Errorf("site allowlisted: %d, want 200", got)
	}
	apply("blocking.allowlist", "")
	apply("protection", "off")
	if got := tracker(); got != 200 {
		t.Errorf("protection off: %d, want 200", got)
	}
	if a.Snapshot().Blocking.Enabled {
		t.Error("status says blocking is on with protection off")
	}
	apply("protection", "on")
	if got := tracker(); got != 204 {
		t.Errorf("protection back on: %d, want 204", got)
	}
}

func TestPauseExpiresOnTime(t *testing.T) {
	o := newOrigins(t)
	a := openTestApp(t, Options{})
	a.Set(context.Background(), "blocking.custom-rules", "||127.0.0.2^")
	c := serveApp(t, a)
	tracker := func() int { code, _ := fetch(t, c, o.tracker+"/x", xhrOf(o.site)); return code }
	if err := a.Pause(0); err == nil {
		t.Error("Pause(0) = nil error")
	}
	testenv.GrowingWindow(t, 400*time.Millisecond, func(deadline time.Time) bool {
		window := time.Until(deadline)
		if err := a.Pause(window); err != nil {
			t.Fatal(err)
		}
		until := a.Snapshot().Blocking.PausedUntil
		if until.IsZero() || time.Until(until) > window {
			t.Errorf("PausedUntil = %v", until)
		}
		got := tracker()
		if time.Now().After(until) {
			return false
		}
		if got != 200 {
			t.Errorf("paused: %d, want 200", got)
		}
		time.Sleep(time.Until(until) + 50*time.Millisecond)
		return true
	})
	if got := tracker(); got != 204 {
		t.Errorf("after the pause: %d, want 204", got)
	}
	if !a.Snapshot().Blocking.PausedUntil.IsZero() {
		t.Error("status still shows the pause after it ended")
	}
	a.Pause(-1)
	if got, snap := tracker(), a.Snapshot(); got != 200 || !snap.Blocking.PausedUntilRestart {
		t.Errorf("paused until restart: %d %v", got, snap.Blocking.PausedUntilRestart)
	}
	a.Resume()
	if got := tracker(); got != 204 {
		t.Errorf("resumed: %d, want 204", got)
	}
}

func TestHoldUntilListsLoaded(t *testing.T) {
	t.Setenv(EnvNoAutoUpdate, "") // this test lets the first start download
	ctx := context.Background()
	o := newOrigins(t)
	ls := newListServer(t, "||127.0.0.2^\n")
	ls.delay = 1500 * time.Millisecond
	a := openTestApp(t, Options{HoldTimeout: 300 * time.Millisecond, FirstLoadBudget: 5 * time.Second})
	st, _ := a.store()
	for _, id := range []int64{2, 3, 4} { // never reach out to the catalogue's servers
		st.RemoveList(ctx, id)
	}
	if _, err := st.AddList(ctx, store.ListRow{Name: "slow", URL: ls.srv.URL + "/slow.txt", Enabled: true, Interval: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	c := serveApp(t, a)
	// The list is still downloading: requests wait, then get a clear page.
	code, body := fetch(t, c, o.site+"/", nav)
	if code != 503 || !strings.Contains(body, "still loading") {
		t.Errorf("request while loading: %d %.120q, want 503 and the loading page", code, body)
	}
	if o.hits.Load() != 0 {
		t.Error("a request went out before the lists were loaded")
	}
	if !a.Snapshot().Blocking.Loading {
		t.Error("status does not say the lists are loading")
	}
	waitFor(t, "the lists to load", func() bool { return !a.Snapshot().Blocking.Loading })
	if code, _ := fetch(t, c, o.tracker+"/x", xhrOf(o.site)); code != 204 {
		t.Errorf("tracker after loading: %d, want 204", code)
	}
	if code, _ := fetch(t, c, o.site+"/", nav); code != 200 {
		t.Errorf("site after loading: %d, want 200", code)
	}
}

func TestDecisionsLogAndStats(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	a := openTestApp(t, Options{LogSize: 5})
	a.Set(ctx, "blocking.custom-rules", "||127.0.0.2^")
	c := serveApp(t, a)
	seq := a.Snapshot().Blocking.LogSeq
	// An HTTPS tunnel to the tracker, HTTPS filtering off: Polaris sees the
	// host alone and cannot tell a tracker from a site the user opened, so
	// the block is counted but the domain is not kept.
	if _, err := c.Get(strings.Replace(o.tracker, "http://", "https://", 1) + "/"); err == nil {
		t.Error("a CONNECT to the blocked tracker went through")
	}
	for i := 0; i < 3; i++ {
		fetch(t, c, o.tracker+fmt.Sprintf("/t%d", i), xhrOf(o.site))
	}
	fetch(t, c, o.site+"/page", nav)
	fetch(t, c, o.tracker+"/", nav) // a page of the tracker itself: not a third party
	recent := a.RecentDecisions(10)
	if len(recent) != 5 {
		t.Fatalf("RecentDecisions(10) gave %d, want 5 (the log size)", len(recent))
	}
	if d := recent[0]; d.Verdict != status.Blocked || d.Type != "document" || d.Rule != "||127.0.0.2^" || d.List != "My rules" {
		t.Errorf("newest decision = %+v", d)
	}
	if d := recent[1]; d.Verdict != status.Allowed || d.URL != o.site+"/page" {
		t.Errorf("second newest = %+v", d)
	}
	if d := recent[2]; d.Verdict != status.Blocked || d.Site != "127.0.0.1" || !strings.HasSuffix(d.URL, "/t2") {
		t.Errorf("third newest = %+v", d)
	}
	if got := a.Snapshot().Blocking.LogSeq - seq; got != 6 {
		t.Errorf("LogSeq grew by %d, want 6", got)
	}
	if got := a.RecentDecisions(2); len(got) != 2 || !reflect.DeepEqual(got[0], recent[0]) {
		t.Errorf("RecentDecisions(2) = %+v", got)
	}
	snap := a.Snapshot()
	if snap.Blocking.BlockedToday != 5 || snap.Blocking.RequestsToday != 6 {
		t.Errorf("today before writing: blocked %d of %d, want 5 of 6", snap.Blocking.BlockedToday, snap.Blocking.RequestsToday)
	}
	a.stats.Flush(ctx)
	days, top, err := a.StatsReport(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	today := days[len(days)-1]
	if len(days) != 30 || today.Total != 5 || today.Requests != 6 || today.ByCategory[""] != 5 {
		t.Errorf("stored today = %+v", today)
	}
	// The tracker is stored by domain only for the three third-party
	// requests; neither the page of 127.0.0.2 the user opened nor the
	// tunnel of unknown origin is.
	if len(top) != 1 || top[0].Domain != "127.0.0.2" || top[0].Blocked != 3 {
		t.Errorf("top trackers = %+v", top)
	}
	snap = a.Snapshot()
	if snap.Blocking.BlockedToday != 5 || len(snap.Blocking.Daily) != 30 || len(snap.Blocking.TopTrackers) != 1 {
		t.Errorf("snapshot after writing: today %d, %d days, top %v", snap.Blocking.BlockedToday, len(snap.Blocking.Daily), snap.Blocking.TopTrackers)
	}
	// No URL and no visited site is in the database.
	dump, _ := os.ReadFile(filepath.Join(a.DataDir(), store.FileName))
	wal, _ := os.ReadFile(filepath.Join(a.DataDir(), store.FileName+"-wal"))
	for _, leak := range []string{"/t1", "/page", "http://"} {
		if strings.Contains(string(dump)+string(wal), leak) && leak != "http://" {
			t.Errorf("the database holds %q", leak)
		}
	}
}

func TestStatsRetention(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, Options{})
	defer a.Close()
	a.Set(ctx, "stats.retention-days", "7")
	st, _ := a.store()
	old := stats.DayNum(time.Now().AddDate(0, 0, -7))
	kept := stats.DayNum(time.Now().AddDate(0, 0, -6))
	st.AddStats(ctx, store.StatsBatch{
		Requests: map[int]int64{old: 10, kept: 20},
		Blocked:  map[store.DayKey]int64{{Day: old, Key: "advertising"}: 1, {Day: kept, Key: "advertising"}: 2},
		Trackers: map[store.DayKey]int64{{Day: old, Key: "ads.example"}: 1, {Day: kept, Key: "ads.example"}: 2},
	})
	a.stats.Flush(ctx)
	days, err := st.DailyStats(ctx, 0, 99999999)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].Day != kept {
		t.Errorf("after retention of 7 days: %+v, want only %d", days, kept)
	}
}

// A read-only data folder: the stored lists still block.
func TestReadOnlyDataDirStillBlocks(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	src := t.TempDir()
	a := openTestApp(t, Options{DataDir: src})
	file := filepath.Join(t.TempDir(), "l.txt")
	os.WriteFile(file, []byte("||127.0.0.2^\n"), 0o600)
	if err := a.AddList(ctx, file, ""); err != nil {
		t.Fatal(err)
	}
	a.Close()
	ro := t.TempDir()
	if out, err := exec.Command("mount", "--bind", src, ro).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", ro).Run() })
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", ro).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v: %s", err, out)
	}
	b := openTestApp(t, Options{DataDir: ro})
	c := serveApp(t, b)
	waitFor(t, "the lists to load", func() bool { return !b.Snapshot().Blocking.Loading })
	if code, _ := fetch(t, c, o.tracker+"/x", xhrOf(o.site)); code != 204 {
		t.Errorf("tracker with a read-only data dir: %d, want 204", code)
	}
}

// TestAddListOffline: a list whose server cannot be reached (no network) is
// kept, not added and removed again: the error says it will be downloaded
// later, and the list shows why it has no rules yet.
func TestAddListOffline(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, Options{})
	defer a.Close()
	before, _ := a.Lists(ctx)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connection refused, as offline
	src := "http://" + addr + "/list.txt"
	err = a.AddList(ctx, src, "offline")
	if !errors.Is(err, status.ErrNotDownloaded) {
		t.Fatalf("AddList offline = %v, want ErrNotDownloaded", err)
	}
	lists, _ := a.Lists(ctx)
	if len(lists) != len(before)+1 {
		t.Fatalf("the list was not kept: %d lists, want %d", len(lists), len(before)+1)
	}
	got := findList(t, a, "offline")
	if !got.Enabled || got.Rules != 0 || got.LastError == "" || got.NextUpdate.IsZero() {
		t.Errorf("kept list = %+v, want enabled, no rules, the reason, and a next try", got)
	}
}

// TestAddListOfflineWhileRunningElsewhere: `polaris lists add URL` in a
// terminal while another process runs Polaris asks that one to download
// the list (through the database). When the list's server cannot be
// reached the subscription stays, as when no Polaris runs, and says why;
// an answer that is not a list still adds nothing.
func TestAddListOfflineWhileRunningElsewhere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	running := openTestApp(t, Options{DataDir: dir, WatchInterval: 20 * time.Millisecond})
	withoutDownloads(t, running)
	startApp(t, running)
	cli, err := Open(ctx, Options{DataDir: dir, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if !cli.RunningElsewhere() {
		t.Fatal("the second App does not see the running Polaris")
	}
	for _, src := range []string{
		"http://127.0.0.1:1/list.txt",        // connection refused
		"http://lists.example.invalid/l.txt", // name not found (Polaris's resolver answers .invalid itself)
	} {
		t.Run(src, func(t *testing.T) {
			before, _ := cli.Lists(ctx)
			l, err := cli.AddListSource(ctx, src, "")
			if !errors.Is(err, status.ErrNotDownloaded) {
				t.Fatalf("adding %s offline while Polaris runs elsewhere = %v, want ErrNotDownloaded", src, err)
			}
			after, _ := cli.Lists(ctx)
			if len(after) != len(before)+1 {
				t.Fatalf("the list was not kept: %d lists, want %d", len(after), len(before)+1)
			}
			got := findList(t, cli, src)
			if got.ID != l.ID || !got.Enabled || got.Rules != 0 || got.LastError == "" || got.NextUpdate.IsZero() {
				t.Errorf("kept list = %+v, want enabled, no rules, the reason, and a next try", got)
			}
			if !strings.Contains(err.Error(), got.LastError) {
				t.Errorf("the error %q does not say why (%q)", err, got.LastError)
			}
		})
	}
	t.Run("a web page", func(t *testing.T) {
		ls := newListServer(t, "<!DOCTYPE html><html>Sign in to the Wi-Fi</html>")
		ls.set("<!DOCTYPE html><html>Sign in to the Wi-Fi</html>", "text/html", 200)
		before, _ := cli.Lists(ctx)
		_, err := cli.AddListSource(ctx, ls.srv.URL+"/l.txt", "")
		if err == nil || errors.Is(err, status.ErrNotDownloaded) || !strings.Contains(err.Error(), "web page") {
			t.Fatalf("adding a web page while Polaris runs elsewhere = %v, want a refusal", err)
		}
		if ls.requests() == 0 {
			t.Error("the running Polaris did not ask the list's server")
		}
		if after, _ := cli.Lists(ctx); len(after) != len(before) {
			t.Errorf("a web page was added as a list: %d lists, want %d", len(after), len(before))
		}
	})
}
