// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestDataExportImport(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for _, kv := range [][2]string{{"dnt", "0"}, {"signals.exceptions", "bank.example=off"}, {"blocking.allowlist", "*.intranet.example"}, {"blocking.custom-rules", "||ads.example^"}} {
		if _, e, code := polaris(t, src, "config", "set", kv[0], kv[1]); code != 0 {
			t.Fatalf("config set %s: %s", kv[0], e)
		}
	}
	file := filepath.Join(t.TempDir(), "export.json")
	if _, e, code := polaris(t, src, "data", "export", file); code != 0 {
		t.Fatalf("export: %s", e)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode: %v %v, want 0600", fi.Mode(), err)
	}
	// Without a terminal and without --yes, the settings that let things
	// through (the allowlist, signal exceptions) keep their values.
	_, e, code := polaris(t, dst, "data", "import", file)
	if code != 0 || !strings.Contains(e, "blocking.allowlist") || !strings.Contains(e, "signals.exceptions") || !strings.Contains(e, "--yes") {
		t.Fatalf("import without --yes: exit %d %q, want 0 and the settings kept named", code, e)
	}
	if got, _, _ := polaris(t, dst, "config", "get", "blocking.allowlist"); strings.TrimSpace(got) != "" {
		t.Errorf("blocking.allowlist after an unconfirmed import = %q, want it unchanged (empty)", got)
	}
	if got, _, _ := polaris(t, dst, "config", "get", "dnt"); strings.TrimSpace(got) != "0" {
		t.Errorf("dnt after the import = %q, want the file's 0", got)
	}
	if _, e, code := polaris(t, dst, "data", "import", file, "--yes"); code != 0 {
		t.Fatalf("import --yes: %s", e)
	}
	a, _, _ := polaris(t, src, "config", "get")
	b, _, _ := polaris(t, dst, "config", "get")
	if a != b {
		t.Errorf("settings differ after export/import --yes:\n%s\nvs\n%s", a, b)
	}

	// Broken, foreign and newer files are refused and change nothing.
	var doc map[string]any
	raw, _ := os.ReadFile(file)
	json.Unmarshal(raw, &doc)
	newer := map[string]any{}
	for k, v := range doc {
		newer[k] = v
	}
	newer["version"] = 99
	bad := map[string]any{}
	for k, v := range doc {
		bad[k] = v
	}
	bad["sections"] = map[string]any{"settings": map[string]string{"dnt": "7"}}
	cases := map[string][]byte{
		"truncated": raw[:len(raw)/2],
		"not ours":  []byte(`{"hello": "world"}`),
		"unknown built-in list": []byte(`{"format":"polaris-data-export","version":1,"sections":{"lists":[` +
			`{"name":"bogus","url":"builtin:doesnotexist","enabled":true,"intervalHours":0}]}}`),
		"a day twice": []byte(`{"format":"polaris-data-export","version":1,"sections":{"stats":[` +
			`{"day":20261120,"requests":1},{"day":20261120,"requests":2}]}}`),
	}
	for name, v := range map[string]any{"newer": newer, "bad value": bad} {
		cases[name], _ = json.Marshal(v)
	}
	fresh := t.TempDir()
	polaris(t, fresh, "config", "set", "dnt", "1")
	before, _, _ := polaris(t, fresh, "config", "get")
	for name, content := range cases {
		p := filepath.Join(t.TempDir(), name+".json")
		os.WriteFile(p, content, 0o600)
		_, e, code := polaris(t, fresh, "data", "import", p)
		if code != 2 || e == "" {
			t.Errorf("import of a %s file: exit %d %q, want 2 and a message", name, code, e)
		}
		if name == "newer" && !strings.Contains(e, "newer Polaris") {
			t.Errorf("a newer file is not explained: %q", e)
		}
	}
	if after, _, _ := polaris(t, fresh, "config", "get"); after != before {
		t.Error("a refused import changed the settings")
	}
}

func TestDataDelete(t *testing.T) {
	d := newDesktop(t)
	d.gsettings("set", "org.gnome.system.proxy", "mode", "auto")
	d.gsettings("set", "org.gnome.system.proxy", "autoconfig-url", "http://wpad.example/wpad.dat")
	before := d.proxyState()
	dir := t.TempDir()
	d.polaris(dir, "sysproxy", "on")
	cmd, addr := d.start(dir)
	d.waitFor("the system points at Polaris", func() bool { return d.pointsAt(addr) })

	// Not while it runs.
	if out, code := d.polaris(dir, "data", "delete", "--yes"); code == 0 || !strings.Contains(out, "quit it first") {
		t.Errorf("delete while running: %d %s", code, out)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	// Without a terminal and without --yes: refused.
	if out, code := d.polaris(dir, "data", "delete"); code != 2 {
		t.Errorf("delete without confirmation: %d %s", code, out)
	}
	if out, code := d.polaris(dir, "data", "delete", "--yes"); code != 0 {
		t.Fatalf("delete --yes: %d %s", code, out)
	}
	if after := d.proxyState(); after != before {
		t.Errorf("delete did not restore the system proxy first:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in the data dir: %v", names)
	}
}
