// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// The window speaks in words and offers buttons; command lines and the
// names of settings are for the terminal. commandLike reports why a text
// reads like a command line, or "".
func commandLike(text string) string {
	for _, c := range commandPatterns {
		if m := c.re.FindString(text); m != "" {
			return c.why + ": " + strings.TrimSpace(m)
		}
	}
	return ""
}

var commandPatterns = func() []struct {
	re  *regexp.Regexp
	why string
} {
	var keys []string
	for _, k := range settings.Keys() {
		if strings.Contains(k.Name, ".") {
			keys = append(keys, regexp.QuoteMeta(k.Name))
		}
	}
	return []struct {
		re  *regexp.Regexp
		why string
	}{
		{regexp.MustCompile(`(^|[^\w.-])polaris [a-z]`), "a polaris command"},
		{regexp.MustCompile(`\b(sudo|pkexec|apt|apt-get|dnf|pacman|certutil|update-ca-certificates|gsettings|systemctl)\s`), "a shell command"},
		{regexp.MustCompile("`"), "a backtick (quoted command)"},
		{regexp.MustCompile(`(^|\s)--[a-z][a-z-]*`), "a command-line flag"},
		{regexp.MustCompile(`(^|[^\w.-])(` + strings.Join(keys, "|") + `)($|[^\w.-])`), "a setting's key"},
		{regexp.MustCompile(`\benvironment\.d\b`), "a configuration file name"},
	}
}()

func TestCommandLike(t *testing.T) {
	for _, bad := range []string{
		"run `polaris ca install` first", "sudo install -D -m 0644 a b", "(polaris ca forget)",
		"(stats.retention-days)", "set with --data-dir", "environment.d (command-line programs)",
		"Polaris: run polaris setup", "bad value for https.filter",
	} {
		if commandLike(bad) == "" {
			t.Errorf("%q is not caught", bad)
		}
	}
	for _, ok := range []string{
		"Polaris is starting its proxy.", "Polaris keeps protecting you", "http://polaris.invalid/check",
		"Codes such as utm_source or fbclid", "dns.quad9.net", "A -- B", "org.polaris.app",
	} {
		if why := commandLike(ok); why != "" {
			t.Errorf("%q is caught (%s)", ok, why)
		}
	}
}

// TestNoCommandLinesInTheSources: no text that the window can show — the
// strings in ui's sources, the English texts, and the texts the engine
// sends to the window (notices, the data inventory, where the system proxy
// was set) — contains a command line or a setting's key.
func TestNoCommandLinesInTheSources(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	files = append(files, "../internal/store/inventory.go")
	app, _ := filepath.Glob("../internal/app/*.go")
	files = append(files, app...)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fs := token.NewFileSet()
		f, err := parser.ParseFile(fs, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		inApp := strings.Contains(name, "internal/app")
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if inApp {
				// The engine's words for the window are its notices.
				if !ok || !isCall(call, "noticef", "notice") {
					return true
				}
			}
			var lits []*ast.BasicLit
			if inApp {
				for _, a := range call.Args {
					if l, ok := a.(*ast.BasicLit); ok && l.Kind == token.STRING {
						lits = append(lits, l)
					}
				}
			} else if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
				lits = append(lits, l)
			}
			for _, l := range lits {
				s, err := strconv.Unquote(l.Value)
				if err != nil || !strings.Contains(s, " ") {
					continue // not a sentence: an identifier, a key, a path
				}
				if why := commandLike(s); why != "" {
					t.Errorf("%s: %q: %s", fs.Position(l.Pos()), s, why)
				}
			}
			return true
		})
	}
	raw, err := os.ReadFile(enFile)
	if err != nil {
		t.Fatal(err)
	}
	var texts map[string]any
	if err := json.Unmarshal(raw, &texts); err != nil {
		t.Fatal(err)
	}
	for k, v := range texts {
		all := []string{k}
		switch v := v.(type) {
		case string:
			all = append(all, v)
		case map[string]any:
			for _, s := range v {
				all = append(all, s.(string))
			}
		}
		for _, s := range all {
			if why := commandLike(s); why != "" {
				t.Errorf("%s: %q: %s", enFile, s, why)
			}
		}
	}
}

func isCall(c *ast.CallExpr, names ...string) bool {
	var name string
	switch f := c.Fun.(type) {
	case *ast.Ident:
		name = f.Name
	case *ast.SelectorExpr:
		name = f.Sel.Name
	}
	for _, n := range names {
		if name == n {
			return true
		}
	}
	return false
}

// TestNoCommandLinesOnScreen walks the widget tree of every screen, every
// tab and the dialogs, in states that show the most text, and fails on
// anything that reads like a command line.
func TestNoCommandLinesOnScreen(t *testing.T) {
	snap := running()
	seenBrowsers(&snap)
	snap.Blocking.Lists = []status.List{
		{ID: 1, Name: "Polaris tracker list", Enabled: true, Rules: 98, Builtin: true, LastSuccess: testNow},
		{ID: 2, Name: "EasyPrivacy", URL: "https://easylist.to/easylist/easyprivacy.txt", Enabled: true, LastError: "no network", Interval: 24 * time.Hour},
	}
	snap.Blocking.LogSeq = 1
	snap.HTTPS.PassThrough = []string{"pinned.example"}
	snap.HTTPS.CA = status.CA{Present: true, Fingerprint: "ab:cd", NotAfter: testNow.AddDate(1, 0, 0), Installed: []string{"Firefox profile default-release"}}
	snap.System = status.System{SystemProxy: true, Backends: []string{"gnome", "environment.d"},
		Places: []string{"GNOME", "programs started from a terminal, from your next login"}}
	snap.Tor = status.Tor{State: status.TorBootstrapping, Progress: 10, Phase: "Loading relay descriptors"}
	snap.Notices = []status.Notice{{Time: testNow, Severity: status.Warning, Text: "A program on this computer refused Polaris's certificate for a.example."}}
	decisions := []status.Decision{
		{Time: testNow, URL: "https://tracker.example/p.gif", Host: "tracker.example", Site: "news.example", Verdict: status.Blocked, Rule: "||tracker.example^", List: "EasyPrivacy"},
		{Time: testNow, URL: "https://facebook.net/", Host: "facebook.net", Verdict: status.Blocked, Rule: "||facebook.net^", List: "EasyPrivacy"},
	}
	screens := []string{"overview", "signals", "blocking", "blocking/lists", "blocking/allowed", "blocking/rules",
		"blocking/activity", "https", "tor", "system"}
	for _, screen := range screens {
		t.Run(strings.ReplaceAll(screen, "/", "-"), func(t *testing.T) {
			f := newFake(t)
			f.recent = func(int) []status.Decision { return decisions }
			f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
			f.inventory = func() (status.Inventory, error) {
				return status.Inventory{Dir: "/home/a/.config/polaris", Tables: []status.TableInfo{{Name: "stats_daily",
					What: "counts", Why: "the chart", Retention: "90 days (you can change this under System & data)."}}}, nil
			}
			f.validateRule = func(string) error { return nil }
			set := f.Settings()
			set.Tor.Enabled = true
			set.Signals.Exceptions = []settings.SiteException{{Site: "bank.example", NoSignals: true}}
			f.set = set
			h := newHarness(t, f, screen)
			h.snapshot(snap)
			// Open what is folded.
			for _, o := range h.objects() {
				if f, ok := o.(*foldout); ok {
					f.Open()
				}
			}
			h.settle()
			checkScreenWords(t, h)
		})
	}
	t.Run("dialogs", func(t *testing.T) {
		f := newFake(t)
		f.recordApply()
		h := newHarness(t, f, "https")
		h.snapshot(running())
		for name, open := range map[string]func(){
			"filter without the certificate": func() { h.u.screens[3].s.(*httpsScreen).filterChanged(true) },
			"keep running":                   h.u.askQuitOrBackground,
			"exception":                      func() { h.u.ensureBuilt(h.u.screens[1]); h.u.screens[1].s.(*signalsScreen).editException(nil) },
		} {
			open()
			h.settle()
			if len(h.u.win.Canvas().Overlays().List()) == 0 {
				t.Errorf("%s: no dialog", name)
			}
			checkScreenWords(t, h)
			for _, o := range h.u.win.Canvas().Overlays().List() {
				h.u.win.Canvas().Overlays().Remove(o)
			}
		}
	})
}

func checkScreenWords(t *testing.T, h *harness) {
	t.Helper()
	n := 0
	for _, o := range h.objects() {
		text := objectText(o)
		switch e := o.(type) {
		case *widget.Entry:
			text = e.PlaceHolder // what the user typed is theirs
		case *entry:
			text = e.PlaceHolder
		}
		if text == "" {
			continue
		}
		n++
		if why := commandLike(text); why != "" {
			t.Errorf("%T %q: %s", o, text, why)
		}
	}
	if n < 5 {
		t.Errorf("only %d texts on screen: the walk sees nothing", n)
	}
	_ = fyne.Size{}
}
