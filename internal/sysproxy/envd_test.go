// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvironmentDContent(t *testing.T) {
	got, err := EnvironmentD("127.0.0.1:8228")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Written by Polaris while it is the system proxy; Polaris removes it when\n" +
		"# it stops being the system proxy. Takes effect at the next login.\n" +
		"http_proxy=http://127.0.0.1:8228/\n" +
		"https_proxy=http://127.0.0.1:8228/\n" +
		"HTTP_PROXY=http://127.0.0.1:8228/\n" +
		"HTTPS_PROXY=http://127.0.0.1:8228/\n" +
		"no_proxy=localhost,.localhost,127.0.0.1,127.0.0.0/8,::1\n" +
		"NO_PROXY=localhost,.localhost,127.0.0.1,127.0.0.0/8,::1\n"
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("EnvironmentD() (-want +got):\n%s", d)
	}
	if got, _ := EnvironmentD("[::1]:8228"); !strings.Contains(string(got), "http_proxy=http://[::1]:8228/\n") {
		t.Errorf("EnvironmentD([::1]:8228) = %q", got)
	}
	for _, bad := range []string{"", "127.0.0.1", "example.com:8228", "127.0.0.1:0", "127.0.0.1:x"} {
		if _, err := EnvironmentD(bad); err == nil {
			t.Errorf("EnvironmentD(%q) succeeded, want an error", bad)
		}
	}
}

// TestEnvironmentDFile runs on a Linux with no desktop (no session bus, no
// KDE): environment.d is then the only backend.
func TestEnvironmentDFile(t *testing.T) {
	tests := []struct {
		name   string
		before string // "" for no file
		edit   string // the user's edit while on; "" for none
	}{
		{"no file before", "", ""},
		{"an older file of the same name", "http_proxy=http://10.0.0.1:3128/\n", ""},
		{"user edited it while on", "", "http_proxy=http://10.0.0.2:3128/\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, home := userEnv(t)
			path := filepath.Join(home, ".config", "environment.d", EnvironmentDFile)
			if tc.before != "" {
				writeFile(t, path, tc.before)
			}
			j := &memJournal{}
			m := newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
			ctx := context.Background()
			if err := m.Enable(ctx); err != nil {
				t.Fatalf("Enable: %v", err)
			}
			want, _ := EnvironmentD("127.0.0.1:8228")
			if got := readFile(t, path); got != string(want) {
				t.Errorf("after Enable the file = %q, want %q", got, want)
			}
			st, _ := m.Status(ctx)
			if !st.SystemProxy || len(st.Backends) != 1 || st.Backends[0] != envdName {
				t.Errorf("Status() = %+v, want on with environment.d only", st)
			}
			if tc.edit != "" {
				writeFile(t, path, tc.edit)
			}
			if err := m.Disable(ctx); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			switch {
			case tc.edit != "":
				if got := readFile(t, path); got != tc.edit {
					t.Errorf("Disable overrode the user's edit: %q", got)
				}
			case tc.before == "":
				if exists(path) {
					t.Errorf("after Disable %s still exists", path)
				}
			default:
				if got := readFile(t, path); got != tc.before {
					t.Errorf("after Disable the file = %q, want %q", got, tc.before)
				}
			}
		})
	}
}

func TestEnableErrors(t *testing.T) {
	env, _ := userEnv(t)
	if _, err := New(Config{Env: env}); !errors.Is(err, ErrNoJournal) {
		t.Errorf("New without a journal: %v, want ErrNoJournal", err)
	}
	if _, err := newManager(Config{Journal: &memJournal{}, Env: env, ProxyAddr: "nohost"}, platform{goos: "linux"}); err == nil {
		t.Error("New with a bad ProxyAddr succeeded")
	}
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env}, platform{goos: "plan9"})
	if err := m.Enable(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Enable on an unsupported OS: %v, want ErrUnsupported", err)
	}
	if err := m.Disable(context.Background()); err != nil {
		t.Errorf("Disable with nothing journalled: %v", err)
	}
	j := &memJournal{}
	_ = j.Save(context.Background(), []byte("{not json"))
	m = newTestManager(t, Config{Journal: j, Env: env}, platform{goos: "linux"})
	if _, err := m.Recover(context.Background()); err == nil {
		t.Error("Recover with a corrupt journal succeeded")
	}
}
