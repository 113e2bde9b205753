// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gnomeEnv is a throw-away GNOME session: private bus, private dconf.
func gnomeEnv(t *testing.T) []string {
	t.Helper()
	needTool(t, "dconf", "dconf-cli")
	env, _ := userEnv(t, "XDG_CURRENT_DESKTOP=GNOME")
	return dbusSession(t, env)
}

// gnomeDump is everything the GNOME proxy schemas hold: every key's value
// and which keys have a user value (dconf), so "restored exactly" also
// means "defaults are defaults again".
func gnomeDump(t *testing.T, env []string) string {
	t.Helper()
	return run(t, env, "gsettings", "list-recursively", gnomeSchema) +
		"\n-- dconf --\n" + run(t, env, "dconf", "dump", gnomePath)
}

func gset(t *testing.T, env []string, schema, key, value string) {
	t.Helper()
	run(t, env, "gsettings", "set", schema, key, value)
}

func gget(t *testing.T, env []string, schema, key string) string {
	t.Helper()
	return run(t, env, "gsettings", "get", schema, key)
}

// gnomePrevious are the states the user may have before Polaris.
var gnomePrevious = []struct {
	name  string
	setup [][3]string
}{
	{"defaults", nil},
	{"auto with a PAC URL", [][3]string{
		{gnomeSchema, "mode", "'auto'"},
		{gnomeSchema, "autoconfig-url", "'http://wpad.home.arpa/wpad.dat'"},
	}},
	{"manual with another proxy and ignore-hosts", [][3]string{
		{gnomeSchema, "mode", "'manual'"},
		{gnomeSchema + ".http", "host", "'proxy.corp.example'"},
		{gnomeSchema + ".http", "port", "3128"},
		{gnomeSchema + ".http", "use-authentication", "true"},
		{gnomeSchema + ".http", "authentication-user", "'alice'"},
		{gnomeSchema + ".http", "authentication-password", "'s3cret'"},
		{gnomeSchema + ".https", "host", "'proxy.corp.example'"},
		{gnomeSchema + ".https", "port", "3129"},
		{gnomeSchema + ".socks", "host", "'socks.corp.example'"},
		{gnomeSchema + ".socks", "port", "1080"},
		{gnomeSchema, "ignore-hosts", "['localhost', '127.0.0.0/8', '::1', '*.corp.example', '10.0.0.0/8']"},
	}},
	{"none with stale manual values set to the defaults", [][3]string{
		{gnomeSchema, "mode", "'none'"},
		{gnomeSchema + ".http", "port", "8080"},
		{gnomeSchema, "use-same-proxy", "false"},
	}},
}

func setupGnome(t *testing.T, env []string, setup [][3]string) {
	t.Helper()
	for _, s := range setup {
		gset(t, env, s[0], s[1], s[2])
	}
}

func TestGnomeEnableDisableRestoresExactly(t *testing.T) {
	for _, tc := range gnomePrevious {
		t.Run(tc.name, func(t *testing.T) {
			env := gnomeEnv(t)
			setupGnome(t, env, tc.setup)
			before := gnomeDump(t, env)
			beforeIgnore := gget(t, env, gnomeSchema, "ignore-hosts")

			j := &memJournal{}
			j.check = func() {
				if j.saves == 0 {
					if got := gnomeDump(t, env); got != before {
						t.Errorf("the system changed before the journal was saved:\n%s", cmp.Diff(before, got))
					}
				}
			}
			m := newTestManager(t, Config{Journal: j, Env: env, PACURL: "http://127.0.0.1:8228/proxy.pac"}, platform{goos: "linux"})
			ctx := context.Background()
			if err := m.Enable(ctx); err != nil {
				t.Fatalf("Enable: %v", err)
			}
			for _, c := range []struct{ schema, key, want string }{
				{gnomeSchema, "mode", "'manual'"},
				{gnomeSchema + ".http", "host", "'127.0.0.1'"},
				{gnomeSchema + ".http", "port", "8228"},
				{gnomeSchema + ".http", "use-authentication", "false"},
				{gnomeSchema + ".https", "host", "'127.0.0.1'"},
				{gnomeSchema + ".https", "port", "8228"},
				{gnomeSchema, "ignore-hosts", beforeIgnore},
			} {
				if got := gget(t, env, c.schema, c.key); got != c.want {
					t.Errorf("after Enable: %s %s = %s, want %s", c.schema, c.key, got, c.want)
				}
			}
			st, err := m.Status(ctx)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if !st.SystemProxy || !slices.Contains(st.Backends, gnomeName) || !slices.Contains(st.Backends, envdName) ||
				!slices.Contains(st.Places, "GNOME") || !slices.Contains(st.Places, "programs started from a terminal, from your next login") {
				t.Errorf("Status() = %+v, want SystemProxy with gnome and environment.d", st)
			}
			if err := m.Disable(ctx); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			if got := gnomeDump(t, env); got != before {
				t.Errorf("after Disable, not restored exactly (-before +after):\n%s", cmp.Diff(before, got))
			}
			if j.has() {
				t.Error("journal not cleared after Disable")
			}
			st, _ = m.Status(ctx)
			if st.SystemProxy || len(st.Backends) != 0 {
				t.Errorf("Status() after Disable = %+v, want off", st)
			}
		})
	}
}

func TestGnomeRecoverAfterCrash(t *testing.T) {
	tc := gnomePrevious[2] // manual with ignore-hosts
	env := gnomeEnv(t)
	setupGnome(t, env, tc.setup)
	before := gnomeDump(t, env)
	j := &memJournal{}
	ctx := context.Background()
	if err := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"}).Enable(ctx); err != nil {
		t.Fatal(err)
	}
	// The process dies here: no Disable. The next start builds a new
	// Manager on the same journal.
	m2 := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
	recovered, err := m2.Recover(ctx)
	if err != nil || !recovered {
		t.Fatalf("Recover() = %v, %v; want true, nil", recovered, err)
	}
	if got := gnomeDump(t, env); got != before {
		t.Errorf("after Recover (-before +after):\n%s", cmp.Diff(before, got))
	}
	if recovered, err := m2.Recover(ctx); recovered || err != nil {
		t.Errorf("second Recover() = %v, %v; want false, nil", recovered, err)
	}
}

// TestGnomeCrashAtEveryPoint stops Enable (as a kill would) before each of
// its system changes in turn, then recovers with a fresh Manager: the
// system must be exactly as before every time.
func TestGnomeCrashAtEveryPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("many gsettings round trips")
	}
	env := gnomeEnv(t)
	ctx := context.Background()
	s := newSys(env, nil, platform{goos: "linux"})
	for crashAt := 0; ; crashAt++ {
		run(t, env, "gsettings", "reset-recursively", gnomeSchema)
		setupGnome(t, env, gnomePrevious[1].setup) // auto with a PAC URL
		before := gnomeDump(t, env)
		j := &memJournal{}
		writes := 0
		crashing := func(ctx context.Context, name string, args ...string) ([]byte, error) {
			if name == "gsettings" && len(args) > 0 && (args[0] == "set" || args[0] == "reset") {
				if writes == crashAt {
					runtime.Goexit() // the process is gone
				}
				writes++
			}
			return s.exec(ctx, name, args...)
		}
		m := newTestManager(t, Config{Journal: j, Env: env, Run: crashing}, platform{goos: "linux"})
		done := make(chan error, 1)
		finished := false
		go func() {
			defer close(done)
			err := m.Enable(ctx)
			finished = true
			done <- err
		}()
		if err := <-done; err != nil {
			t.Fatalf("crash at %d: Enable: %v", crashAt, err)
		}
		if !j.has() {
			t.Fatalf("crash at %d: no journal", crashAt)
		}
		m2 := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
		if _, err := m2.Recover(ctx); err != nil {
			t.Fatalf("crash at %d: Recover: %v", crashAt, err)
		}
		if got := gnomeDump(t, env); got != before {
			t.Fatalf("crash at %d: after Recover (-before +after):\n%s", crashAt, cmp.Diff(before, got))
		}
		if finished {
			if crashAt < 3 {
				t.Fatalf("Enable finished after %d writes, want several", crashAt)
			}
			return
		}
	}
}

func TestGnomeUserChangeLeftAlone(t *testing.T) {
	tests := []struct {
		name   string
		change [][3]string
	}{
		{"mode set to none", [][3]string{{gnomeSchema, "mode", "'none'"}}},
		{"another proxy", [][3]string{{gnomeSchema + ".https", "host", "'proxy.other.example'"}}},
		{"PAC", [][3]string{{gnomeSchema, "mode", "'auto'"}, {gnomeSchema, "autoconfig-url", "'http://pac.home.arpa/p.pac'"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := gnomeEnv(t)
			setupGnome(t, env, gnomePrevious[2].setup)
			j := &memJournal{}
			m := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
			ctx := context.Background()
			if err := m.Enable(ctx); err != nil {
				t.Fatal(err)
			}
			setupGnome(t, env, tc.change)
			changed := gnomeDump(t, env)
			if err := m.Disable(ctx); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			if got := gnomeDump(t, env); got != changed {
				t.Errorf("Disable overrode the user's change (-user +after):\n%s", cmp.Diff(changed, got))
			}
			if j.has() {
				t.Error("journal not cleared")
			}
			st, _ := m.Status(ctx)
			if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, "GNOME proxy settings were changed") }) {
				t.Errorf("Status().Warnings = %q, want a note that GNOME was left alone", st.Warnings)
			}
		})
	}
}

func TestGnomeEnableIdempotent(t *testing.T) {
	env := gnomeEnv(t)
	setupGnome(t, env, gnomePrevious[1].setup)
	before := gnomeDump(t, env)
	j := &memJournal{}
	ctx := context.Background()
	m := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	first, _, _ := j.Load(ctx)
	on := gnomeDump(t, env)
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	second, _, _ := j.Load(ctx)
	if d := cmp.Diff(decodeJournal(t, first), decodeJournal(t, second)); d != "" {
		t.Errorf("second Enable changed the saved state (-first +second):\n%s", d)
	}
	if got := gnomeDump(t, env); got != on {
		t.Errorf("second Enable changed the settings:\n%s", cmp.Diff(on, got))
	}
	// A new start on another port after a crash: the original state is
	// still what gets restored.
	m2 := newTestManager(t, Config{Journal: j, Env: env, ProxyAddr: "127.0.0.1:8229"}, platform{goos: "linux"})
	if err := m2.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if got := gget(t, env, gnomeSchema+".http", "port"); got != "8229" {
		t.Errorf("after Enable on 8229: http port = %s", got)
	}
	if err := m2.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	if got := gnomeDump(t, env); got != before {
		t.Errorf("after Disable (-before +after):\n%s", cmp.Diff(before, got))
	}
}

func decodeJournal(t *testing.T, data []byte) journalState {
	t.Helper()
	var st journalState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestParseDconfDump(t *testing.T) {
	got := parseDconfDump([]byte("[/]\nmode='manual'\n\n[http]\nhost='x'\nport=3\n\n[https]\nhost='y'\n"))
	want := map[string]bool{
		"org.gnome.system.proxy mode":       true,
		"org.gnome.system.proxy.http host":  true,
		"org.gnome.system.proxy.http port":  true,
		"org.gnome.system.proxy.https host": true,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parseDconfDump() (-want +got):\n%s", d)
	}
}

func TestGvString(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "'127.0.0.1'", "a'b": `'a\'b'`, `a\b`: `'a\\b'`} {
		if got := gvString(in); got != want {
			t.Errorf("gvString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestGnomePortChangeCrash: Polaris was on at 8228 and crashed; the next
// start uses 8229 and crashes again in the middle of Enable. Recover must
// still bring back the state from before the first Enable.
func TestGnomePortChangeCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("many gsettings round trips")
	}
	env := gnomeEnv(t)
	ctx := context.Background()
	s := newSys(env, nil, platform{goos: "linux"})
	for crashAt := 0; ; crashAt++ {
		run(t, env, "gsettings", "reset-recursively", gnomeSchema)
		setupGnome(t, env, gnomePrevious[2].setup)
		before := gnomeDump(t, env)
		j := &memJournal{}
		if err := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"}).Enable(ctx); err != nil {
			t.Fatal(err)
		}
		writes := 0
		crashing := func(ctx context.Context, name string, args ...string) ([]byte, error) {
			if name == "gsettings" && len(args) > 0 && args[0] == "set" {
				if writes == crashAt {
					runtime.Goexit()
				}
				writes++
			}
			return s.exec(ctx, name, args...)
		}
		m := newTestManager(t, Config{Journal: j, Env: env, Run: crashing, ProxyAddr: "127.0.0.1:8229"}, platform{goos: "linux"})
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
		if _, err := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"}).Recover(ctx); err != nil {
			t.Fatalf("crash at %d: Recover: %v", crashAt, err)
		}
		if got := gnomeDump(t, env); got != before {
			t.Fatalf("crash at %d: after Recover (-before +after):\n%s", crashAt, cmp.Diff(before, got))
		}
		if finished {
			return
		}
	}
}

// TestGnomeEnableFailureRollsBack: a later backend fails (KDE's
// kwriteconfig5 errors), so the GNOME change already made is undone.
func TestGnomeEnableFailureRollsBack(t *testing.T) {
	needTool(t, "kwriteconfig5", "libkf5config-bin")
	env := gnomeEnv(t)
	env = append(env, "XDG_CURRENT_DESKTOP=KDE", "KDE_SESSION_VERSION=5")
	setupGnome(t, env, gnomePrevious[1].setup)
	before := gnomeDump(t, env)
	s := newSys(env, nil, platform{goos: "linux"})
	failing := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		if name == "kwriteconfig5" {
			return nil, errors.New("kwriteconfig5: disk full")
		}
		return s.exec(ctx, name, args...)
	}
	j := &memJournal{}
	m := newTestManager(t, Config{Journal: j, Env: env, Run: failing}, platform{goos: "linux"})
	err := m.Enable(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Enable() = %v, want the kwriteconfig5 error", err)
	}
	if got := gnomeDump(t, env); got != before {
		t.Errorf("after the failed Enable (-before +after):\n%s", cmp.Diff(before, got))
	}
	if j.has() {
		t.Error("journal left after a rolled-back Enable")
	}
}
