// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kdeEnv is a throw-away KDE Plasma 5 user: the real kwriteconfig5 and
// kreadconfig5 on a temporary XDG_CONFIG_HOME. No session bus, so the GNOME
// backend stays out of the way.
func kdeEnv(t *testing.T) (env []string, rc string) {
	t.Helper()
	needTool(t, "kwriteconfig5", "libkf5config-bin")
	needTool(t, "kreadconfig5", "libkf5config-bin")
	env, home := userEnv(t, "XDG_CURRENT_DESKTOP=KDE", "KDE_SESSION_VERSION=5", "KDE_FULL_SESSION=true")
	return env, filepath.Join(home, ".config", kdeFile)
}

// readINI parses a KConfig file into group → key → value, leaving out empty
// groups: KConfig sorts groups when it writes, so the meaning, not the
// bytes, is what a restore must bring back.
func readINI(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	group := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			if out[group] == nil {
				out[group] = map[string]string{}
			}
			out[group][k] = v
		}
	}
	return out
}

var kdePrevious = []struct {
	name string
	rc   string // kioslaverc before; "" for none
}{
	{"no kioslaverc", ""},
	{"PAC", "[Proxy Settings]\nProxy Config Script=http://wpad.home.arpa/wpad.dat\nProxyType=2\n\n[Cache]\nMaxCacheSize=5120\n"},
	{"manual with reversed exceptions", "[Proxy Settings]\nNoProxyFor=*.corp.example,10.0.0.0/8\nProxyType=1\nReversedException=true\n" +
		"httpProxy=http://proxy.corp.example 3128\nhttpsProxy=http://proxy.corp.example 3129\nsocksProxy=socks://socks.corp.example 1080\n"},
}

func TestKDEEnableDisableRestores(t *testing.T) {
	for _, tc := range kdePrevious {
		t.Run(tc.name, func(t *testing.T) {
			env, rc := kdeEnv(t)
			if tc.rc != "" {
				writeFile(t, rc, tc.rc)
			}
			before := readINI(t, rc)
			j := &memJournal{}
			m := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
			ctx := context.Background()
			if err := m.Enable(ctx); err != nil {
				t.Fatalf("Enable: %v", err)
			}
			on := readINI(t, rc)["[Proxy Settings]"]
			want := map[string]string{"ProxyType": "1", "httpProxy": "http://127.0.0.1 8228", "httpsProxy": "http://127.0.0.1 8228"}
			for k, v := range want {
				if on[k] != v {
					t.Errorf("after Enable: %s = %q, want %q", k, on[k], v)
				}
			}
			if r, ok := on["ReversedException"]; ok && r != "false" {
				t.Errorf("after Enable: ReversedException = %q, want false or absent", r)
			}
			if b := before["[Proxy Settings]"]["NoProxyFor"]; on["NoProxyFor"] != b {
				t.Errorf("after Enable: NoProxyFor = %q, want the user's %q", on["NoProxyFor"], b)
			}
			st, err := m.Status(ctx)
			if err != nil || !st.SystemProxy || !strings.Contains(strings.Join(st.Backends, ","), kdeName) {
				t.Errorf("Status() = %+v, %v; want SystemProxy with kde", st, err)
			}
			if err := m.Disable(ctx); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			if d := cmp.Diff(before, readINI(t, rc)); d != "" {
				t.Errorf("after Disable (-before +after):\n%s", d)
			}
		})
	}
}

func TestKDEUserChangeLeftAlone(t *testing.T) {
	env, rc := kdeEnv(t)
	writeFile(t, rc, kdePrevious[1].rc)
	j := &memJournal{}
	m := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	run(t, env, "kwriteconfig5", "--file", kdeFile, "--group", kdeGroup, "--key", "ProxyType", "0")
	changed := readINI(t, rc)
	if err := m.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(changed, readINI(t, rc)); d != "" {
		t.Errorf("Disable overrode the user's change (-user +after):\n%s", d)
	}
}

func TestKDECrashAtEveryPoint(t *testing.T) {
	env, rc := kdeEnv(t)
	ctx := context.Background()
	s := newSys(env, nil, platform{goos: "linux"})
	for crashAt := 0; ; crashAt++ {
		writeFile(t, rc, kdePrevious[2].rc)
		before := readINI(t, rc)
		j := &memJournal{}
		writes := 0
		crashing := func(ctx context.Context, name string, args ...string) ([]byte, error) {
			if strings.HasPrefix(name, "kwriteconfig") {
				if writes == crashAt {
					runtime.Goexit()
				}
				writes++
			}
			return s.exec(ctx, name, args...)
		}
		m := newTestManager(t, Config{Journal: j, Env: env, Run: crashing}, platform{goos: "linux"})
		finished := false
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := m.Enable(ctx); err != nil {
				t.Errorf("Enable: %v", err)
			}
			finished = true
		}()
		<-done
		m2 := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
		if _, err := m2.Recover(ctx); err != nil {
			t.Fatalf("crash at %d: Recover: %v", crashAt, err)
		}
		if d := cmp.Diff(before, readINI(t, rc)); d != "" {
			t.Fatalf("crash at %d: after Recover (-before +after):\n%s", crashAt, d)
		}
		if finished {
			if crashAt < 3 {
				t.Fatalf("Enable finished after %d writes, want 4", crashAt)
			}
			return
		}
	}
}

func TestKDEProxyIs(t *testing.T) {
	tgt := target{Host: "127.0.0.1", Port: 8228}
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"http://127.0.0.1 8228", true},
		{"http://127.0.0.1:8228", true},
		{"127.0.0.1:8228", true},
		{"http://127.0.0.1:8228/", true},
		{"http://127.0.0.1 8229", false},
		{"http://proxy 8228", false},
		{"", false},
		{"http://", false},
	} {
		if got := kdeProxyIs(tc.v, tgt); got != tc.want {
			t.Errorf("kdeProxyIs(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if got := kdeProxyValue(target{Host: "::1", Port: 8228}); got != "http://[::1] 8228" {
		t.Errorf("kdeProxyValue(::1) = %q", got)
	}
	if !kdeProxyIs("http://[::1] 8228", target{Host: "::1", Port: 8228}) {
		t.Error("kdeProxyIs([::1]) = false, want true")
	}
}

func FuzzKDEProxyIs(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1 8228", "h:1", "http://[::1] 8228", "://", " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		kdeProxyIs(v, target{Host: "127.0.0.1", Port: 8228})
	})
}

// TestKDEPlasma6Tools: on Plasma 6 the tools are kwriteconfig6 and
// kreadconfig6. Debian 12 has only the KF5 ones, whose command line is the
// same, so the real KF5 programs stand in under the KF6 names, on a PATH
// where the KF5 names do not exist: Polaris must pick and drive the KF6
// names, and restore exactly.
func TestKDEPlasma6Tools(t *testing.T) {
	needTool(t, "kwriteconfig5", "libkf5config-bin")
	needTool(t, "kreadconfig5", "libkf5config-bin")
	bin := t.TempDir()
	for _, n := range []string{"kwriteconfig", "kreadconfig"} {
		real, err := exec.LookPath(n + "5")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(real, filepath.Join(bin, n+"6")); err != nil {
			t.Fatal(err)
		}
	}
	env, home := userEnv(t, "XDG_CURRENT_DESKTOP=KDE", "KDE_SESSION_VERSION=6", "KDE_FULL_SESSION=true")
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + bin
		}
	}
	rc := filepath.Join(home, ".config", kdeFile)
	writeFile(t, rc, "[Proxy Settings]\nProxyType=0\nNoProxyFor=localhost,127.0.0.1,.corp.example\n")
	before := readINI(t, rc)
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env}, platform{goos: "linux"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatalf("Enable with the KF6 tools: %v", err)
	}
	if on := readINI(t, rc)["[Proxy Settings]"]; on["ProxyType"] != "1" || on["httpProxy"] != "http://127.0.0.1 8228" {
		t.Errorf("after Enable with the KF6 tools: %v", on)
	}
	if err := m.Disable(ctx); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if d := cmp.Diff(before, readINI(t, rc)); d != "" {
		t.Errorf("after Disable (-before +after):\n%s", d)
	}
}
