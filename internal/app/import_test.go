// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
)

func writeExport(t *testing.T, sets map[string]string) string {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"format": ExportFormat, "version": ExportVersion, "sections": map[string]any{"settings": sets}})
	p := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testCAFile(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "the attacker's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	p := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return p
}

// The attack: a file someone handed the user, which `data import` applied
// at once: Polaris on the network with the attacker's password, the
// attacker's CA trusted for every site, a program of theirs run as Tor,
// banking sites intercepted, Polaris the system proxy and started at
// login, their tracker let through. Without the user's confirmation none of
// that applies (the rest of the file does); a confirmation is for exactly
// the file checked.
func TestImportHostileSettings(t *testing.T) {
	// Should the import apply system.autostart after all, it writes here.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	ctx := context.Background()
	a := openTestApp(t, Options{})
	before := a.Settings()
	hostile := map[string]string{
		"listen":                   "0.0.0.0:8228",
		"proxy.auth":               "attacker:correct horse battery",
		"https.upstream-ca":        testCAFile(t),
		"tor.binary":               "/tmp/not-tor",
		"tor.torrc":                "/tmp/torrc-of-theirs",
		"https.default-exclusions": "off",
		"system.proxy":             "on",
		"system.autostart":         "on",
		"blocking.allowlist":       "tracker.example",
		"blocking.custom-rules":    "||ads.example^\n@@||tracker.example^",
		"dnt":                      "0", // widens nothing: applied
	}
	file := writeExport(t, hostile)
	chk, err := a.CheckImport(ctx, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range chk.Widening {
		keys = append(keys, c.Key)
		if c.Why == "" {
			t.Errorf("%s: no words for what it lets happen", c.Key)
		}
	}
	want := []string{"listen", "proxy.auth", "https.upstream-ca", "tor.binary", "tor.torrc", "https.default-exclusions",
		"system.proxy", "system.autostart", "blocking.allowlist", "blocking.custom-rules"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("widening settings shown (-want +got):\n%s", diff)
	}
	for _, c := range chk.Widening {
		if c.Key == "proxy.auth" && (c.To == hostile["proxy.auth"] || !slices.Contains([]string{`user "attacker" with a password of 21 characters`}, c.To)) {
			t.Errorf("proxy.auth is shown as %q: the user, not the password", c.To)
		}
	}
	if chk, _ := a.CheckImport(ctx, file, nil); a.Settings().Signals.DNT != before.Signals.DNT || len(chk.Widening) == 0 {
		t.Error("CheckImport changed something")
	}

	// Not confirmed: none of them applies, the rest does.
	if err := a.ImportData(ctx, file, "", nil); err != nil {
		t.Fatal(err)
	}
	after := a.Settings()
	for _, k := range want {
		b, _ := before.Get(k)
		g, _ := after.Get(k)
		if g != b {
			t.Errorf("%s = %q after an unconfirmed import, want %q as before", k, g, b)
		}
	}
	if after.Signals.DNT.String() != "0" {
		t.Errorf("dnt = %s after the import, want the file's 0", after.Signals.DNT)
	}

	// A confirmation of another file (or of this one before it changed)
	// imports nothing.
	safe := writeExport(t, map[string]string{"blocking.allowlist": "intranet.example", "https.default-exclusions": "off", "dnt": "1"})
	if err := a.ImportData(ctx, safe, chk.Digest, nil); !errors.Is(err, ErrImportChanged) {
		t.Errorf("ImportData with another file's confirmation = %v, want ErrImportChanged", err)
	}
	if a.Settings().Signals.DNT.String() != "0" {
		t.Error("an import with a wrong confirmation changed the settings")
	}
	// Confirmed: applied.
	schk, err := a.CheckImport(ctx, safe, nil)
	if err != nil || len(schk.Widening) != 2 {
		t.Fatalf("CheckImport = %+v, %v; want two widening settings", schk, err)
	}
	if err := a.ImportData(ctx, safe, schk.Digest, nil); err != nil {
		t.Fatal(err)
	}
	if s := a.Settings(); !slices.Equal(s.Blocking.Allowlist, []string{"intranet.example"}) || s.HTTPS.DefaultExclusions {
		t.Errorf("a confirmed import: allowlist %v, default exclusions %v; want the file's", s.Blocking.Allowlist, s.HTTPS.DefaultExclusions)
	}
}

// TestWideningNothingForTheSame: a file with the current settings, or one
// that narrows exposure, asks nothing.
func TestWideningNothingForTheSame(t *testing.T) {
	cur := settings.Default()
	cur.Blocking.Allowlist = []string{"a.example", "b.example"}
	cur.System.SystemProxy = true
	next := cur.Clone()
	next.Blocking.Allowlist = []string{"a.example"}
	next.System.SystemProxy = false
	next.HTTPS.DefaultExclusions = true
	if w := settings.Widening(cur, next); len(w) != 0 {
		t.Errorf("Widening(narrower) = %v, want none", w)
	}
}

// The attack through the lists: an import replaces the subscriptions, so a
// file could let a tracker through without touching a setting: an own
// list of exception rules, a list from the attacker's address (whose
// rules they change at will), the blocking lists dropped or turned off.
// Unconfirmed, none of that applies: the current lists stay as they are,
// and the harmless rest of the file's lists (a list that only blocks) is
// imported.
func TestImportHostileLists(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, Options{NoAutoUpdate: true})
	own := filepath.Join(t.TempDir(), "mine.txt")
	os.WriteFile(own, []byte("! Title: Mine\n||mine.example^\n"), 0o600)
	if err := a.AddList(ctx, own, "mine"); err != nil {
		t.Fatal(err)
	}
	type sub struct {
		Name    string
		URL     string
		Enabled bool
	}
	subs := func() []sub {
		ls, err := a.lists.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []sub
		for _, l := range ls {
			out = append(out, sub{l.Name, l.URL, l.Enabled})
		}
		slices.SortFunc(out, func(x, y sub) int { return strings.Compare(x.Name+x.URL, y.Name+y.URL) })
		return out
	}
	before := subs()
	cur, _ := a.lists.Export(ctx)
	var catalogued []map[string]any
	for _, l := range cur {
		if l.URL != "" {
			catalogued = append(catalogued, map[string]any{"name": l.Name, "url": l.URL, "catalogue": l.Catalogue, "enabled": false, "intervalHours": 0})
		}
	}
	if len(catalogued) == 0 {
		t.Fatal("no list subscribed on a fresh data dir: the test needs one to turn off")
	}
	hostile := append(catalogued,
		map[string]any{"name": "helpful fixes", "text": "! Title: fixes\n@@||tracker.example^\n@@||ads.example^$third-party\n", "enabled": true, "intervalHours": 0},
		map[string]any{"name": "their list", "url": "https://lists.attacker.example/rules.txt", "enabled": true, "intervalHours": 24},
		map[string]any{"name": "extra blocking", "text": "! Title: extra\n||more-ads.example^\n", "enabled": true, "intervalHours": 0},
	)
	doc, _ := json.Marshal(map[string]any{"format": ExportFormat, "version": ExportVersion, "sections": map[string]any{"lists": hostile}})
	file := filepath.Join(t.TempDir(), "hostile.json")
	os.WriteFile(file, doc, 0o600)

	chk, err := a.CheckImport(ctx, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, c := range chk.Widening {
		if c.Key != "lists" || c.Why == "" {
			t.Errorf("unexpected change %v", c)
		}
		shown = append(shown, c.From+" → "+c.To)
	}
	text := strings.Join(shown, "\n")
	for _, want := range []string{"@@||tracker.example^", "https://lists.attacker.example/rules.txt", "(off)", "mine → (removed or off)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the check does not show %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "extra blocking") {
		t.Errorf("a list that only blocks is shown as widening:\n%s", text)
	}

	// Not confirmed: the current lists as they were, plus the harmless one.
	if err := a.ImportData(ctx, file, "", nil); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(before), sub{"extra blocking", "", true})
	slices.SortFunc(want, func(x, y sub) int { return strings.Compare(x.Name+x.URL, y.Name+y.URL) })
	if diff := cmp.Diff(want, subs()); diff != "" {
		t.Errorf("lists after an unconfirmed hostile import (-want +got):\n%s", diff)
	}

	// Confirmed: the file's lists as they are.
	if err := a.ImportData(ctx, file, chk.Digest, nil); err != nil {
		t.Fatal(err)
	}
	got := subs()
	if !slices.Contains(got, sub{"their list", "https://lists.attacker.example/rules.txt", true}) || !slices.Contains(got, sub{"helpful fixes", "", true}) {
		t.Errorf("a confirmed import did not apply the file's lists: %v", got)
	}
}
