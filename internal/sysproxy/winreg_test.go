// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeRegistry stands in for HKEY_CURRENT_USER, which does not exist here:
// key path → value name → uint32 (REG_DWORD) or string (REG_SZ). Reading a
// value with the wrong type is an error, as in the real registry.
type fakeRegistry struct {
	mu        sync.Mutex
	keys      map[string]map[string]any
	refreshes int
}

func newFakeRegistry() *fakeRegistry { return &fakeRegistry{keys: map[string]map[string]any{}} }

func (r *fakeRegistry) platform() platform {
	return platform{
		goos: "windows",
		openReg: func(path string) (regKey, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.keys[path] == nil {
				r.keys[path] = map[string]any{}
			}
			return &fakeKey{r: r, path: path}, nil
		},
		refresh: func() error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.refreshes++
			return nil
		},
	}
}

func (r *fakeRegistry) values(path string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]any{}
	for k, v := range r.keys[path] {
		out[k] = v
	}
	return out
}

type fakeKey struct {
	r    *fakeRegistry
	path string
}

func (k *fakeKey) get(name string) (any, bool) {
	k.r.mu.Lock()
	defer k.r.mu.Unlock()
	v, ok := k.r.keys[k.path][name]
	return v, ok
}

func (k *fakeKey) set(name string, v any) {
	k.r.mu.Lock()
	defer k.r.mu.Unlock()
	k.r.keys[k.path][name] = v
}

func (k *fakeKey) GetString(name string) (string, bool, error) {
	v, ok := k.get(name)
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, fmt.Errorf("value %s is not a string", name)
	}
	return s, true, nil
}

func (k *fakeKey) GetDWord(name string) (uint32, bool, error) {
	v, ok := k.get(name)
	if !ok {
		return 0, false, nil
	}
	d, ok := v.(uint32)
	if !ok {
		return 0, false, fmt.Errorf("value %s is not a DWORD", name)
	}
	return d, true, nil
}

func (k *fakeKey) SetString(name, v string) error       { k.set(name, v); return nil }
func (k *fakeKey) SetDWord(name string, v uint32) error { k.set(name, v); return nil }
func (k *fakeKey) Close() error                         { return nil }
func (k *fakeKey) Delete(name string) error {
	k.r.mu.Lock()
	defer k.r.mu.Unlock()
	delete(k.r.keys[k.path], name)
	return nil
}

func TestWinEnabledValues(t *testing.T) {
	override, pac, zero := "<local>;*.corp.example", "http://wpad.corp.example/wpad.dat", uint32(0)
	server := "proxy.corp.example:8080"
	got := WinEnabledValues(WinProxyValues{ProxyEnable: &zero, ProxyServer: &server, ProxyOverride: &override, AutoConfigURL: &pac}, "127.0.0.1:8228")
	one, want := uint32(1), "http=127.0.0.1:8228;https=127.0.0.1:8228"
	if d := cmp.Diff(WinProxyValues{ProxyEnable: &one, ProxyServer: &want, ProxyOverride: &override}, got); d != "" {
		t.Errorf("WinEnabledValues() (-want +got):\n%s", d)
	}
	if got := WinProxyServer("[::1]:8228"); got != "http=[::1]:8228;https=[::1]:8228" {
		t.Errorf("WinProxyServer([::1]:8228) = %q", got)
	}
}

func TestWinProxyServerIs(t *testing.T) {
	tgt := target{Host: "127.0.0.1", Port: 8228}
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"http=127.0.0.1:8228;https=127.0.0.1:8228", true},
		{"127.0.0.1:8228", true},
		{"http=127.0.0.1:8228;https=127.0.0.1:8228;socks=10.0.0.1:1080", true},
		{"HTTP=127.0.0.1:8228; HTTPS=http://127.0.0.1:8228", true},
		{"http=127.0.0.1:8228", false},
		{"http=127.0.0.1:8228;https=10.0.0.1:8228", false},
		{"proxy:8228", false},
		{"", false},
	} {
		if got := winProxyServerIs(tc.v, tgt); got != tc.want {
			t.Errorf("winProxyServerIs(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestWindowsEnableDisable(t *testing.T) {
	tests := []struct {
		name   string
		before map[string]any
	}{
		{"nothing set", map[string]any{}},
		{"PAC and a disabled manual proxy", map[string]any{
			"ProxyEnable": uint32(0), "ProxyServer": "proxy.corp.example:8080",
			"ProxyOverride": "<local>;*.corp.example", "AutoConfigURL": "http://wpad.corp.example/wpad.dat",
			"MigrateProxy": uint32(1),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := newFakeRegistry()
			reg.keys[WinInternetSettings] = tc.before
			before := reg.values(WinInternetSettings)
			j := &memJournal{}
			m := newTestManager(t, Config{Journal: j, Env: []string{"APPDATA=/nonexistent"}}, reg.platform())
			ctx := context.Background()
			if err := m.Enable(ctx); err != nil {
				t.Fatalf("Enable: %v", err)
			}
			want := map[string]any{}
			for k, v := range before {
				if k != "AutoConfigURL" {
					want[k] = v
				}
			}
			want["ProxyEnable"] = uint32(1)
			want["ProxyServer"] = "http=127.0.0.1:8228;https=127.0.0.1:8228"
			if d := cmp.Diff(want, reg.values(WinInternetSettings)); d != "" {
				t.Errorf("after Enable (-want +got):\n%s", d)
			}
			if reg.refreshes == 0 {
				t.Error("Enable did not refresh WinINet")
			}
			st, err := m.Status(ctx)
			if err != nil || !st.SystemProxy || !slices.Equal(st.Backends, []string{winName}) {
				t.Errorf("Status() = %+v, %v; want on with windows", st, err)
			}
			refreshes := reg.refreshes
			if err := m.Disable(ctx); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			if d := cmp.Diff(before, reg.values(WinInternetSettings)); d != "" {
				t.Errorf("after Disable (-before +after):\n%s", d)
			}
			if reg.refreshes == refreshes {
				t.Error("Disable did not refresh WinINet")
			}
		})
	}
}

func TestWindowsUserChangeLeftAlone(t *testing.T) {
	reg := newFakeRegistry()
	reg.keys[WinInternetSettings] = map[string]any{"ProxyEnable": uint32(0)}
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: []string{}}, reg.platform())
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	reg.keys[WinInternetSettings]["ProxyServer"] = "proxy.other.example:3128"
	reg.keys[WinInternetSettings]["ProxyOverride"] = "<local>"
	changed := reg.values(WinInternetSettings)
	if err := m.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(changed, reg.values(WinInternetSettings)); d != "" {
		t.Errorf("Disable overrode the user's change (-user +after):\n%s", d)
	}
}

func TestWindowsAutostart(t *testing.T) {
	reg := newFakeRegistry()
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: []string{}}, reg.platform())
	exe := `C:\Program Files\Polaris\polaris.exe`
	if err := m.SetAutostart(true, exe, []string{"--minimized", `C:\a b\"c"`}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{WinRunValue: `"C:\Program Files\Polaris\polaris.exe" --minimized "C:\a b\\\"c\""`}
	if d := cmp.Diff(want, reg.values(WinRunKey)); d != "" {
		t.Errorf("Run key (-want +got):\n%s", d)
	}
	if on, err := m.AutostartEnabled(); !on || err != nil {
		t.Errorf("AutostartEnabled() = %v, %v; want true", on, err)
	}
	if err := m.SetAutostart(false, "", nil); err != nil {
		t.Fatal(err)
	}
	if on, _ := m.AutostartEnabled(); on || len(reg.values(WinRunKey)) != 0 {
		t.Errorf("after SetAutostart(false): enabled %v, values %v", on, reg.values(WinRunKey))
	}
}
