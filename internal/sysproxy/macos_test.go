// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeNetworksetup stands in for macOS's networksetup, which cannot run
// here: it keeps per-service proxy state, answers in networksetup's output
// format, records every changing command, and fails the test when a
// disabled service is touched.
type fakeNetworksetup struct {
	t        *testing.T
	mu       sync.Mutex
	order    []string // as listed, "*" marks disabled
	svc      map[string]*macService
	changes  [][]string
	crashAt  int // Goexit before this many changes; -1 never
	nchanges int
}

func newFakeNS(t *testing.T, svcs ...macService) *fakeNetworksetup {
	f := &fakeNetworksetup{t: t, svc: map[string]*macService{}, crashAt: -1}
	for _, s := range svcs {
		s := s
		f.order = append(f.order, s.Name)
		if !strings.HasPrefix(s.Name, "*") {
			f.svc[s.Name] = &s
		}
	}
	return f
}

func (f *fakeNetworksetup) state() map[string]macService {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]macService{}
	for k, v := range f.svc {
		out[k] = *v
	}
	return out
}

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}

func (f *fakeNetworksetup) run(_ context.Context, name string, args ...string) ([]byte, error) {
	if name != "networksetup" {
		f.t.Errorf("ran %s, want networksetup only", name)
		return nil, fmt.Errorf("unexpected program %s", name)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("no arguments")
	}
	if args[0] == "-listallnetworkservices" {
		return []byte("An asterisk (*) denotes that a network service is disabled.\n" + strings.Join(f.order, "\n") + "\n"), nil
	}
	if len(args) < 2 {
		return []byte("** Error: The parameters were not valid.\n"), nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svc[args[1]]
	if !ok {
		if slices.Contains(f.order, "*"+args[1]) {
			f.t.Errorf("networksetup %q touched a disabled service", args)
		}
		return []byte(args[1] + " is not a recognized network service.\n** Error: The parameters were not valid.\n"), nil
	}
	if strings.HasPrefix(args[0], "-set") {
		if f.nchanges == f.crashAt {
			runtime.Goexit() // the deferred Unlock runs
		}
		f.nchanges++
		f.changes = append(f.changes, slices.Clone(args))
	}
	proxy := func(p macProxy) []byte {
		return fmt.Appendf(nil, "Enabled: %s\nServer: %s\nPort: %d\nAuthenticated Proxy Enabled: %s\n", onOff(p.Enabled, "Yes", "No"), p.Server, p.Port, onOff(p.Auth, "1", "0"))
	}
	set := func(p *macProxy) ([]byte, error) {
		if len(args) < 4 {
			return []byte("** Error: The parameters were not valid.\n"), nil
		}
		port, err := strconv.Atoi(args[3])
		if err != nil || args[2] == "" {
			return []byte("** Error: The parameters were not valid.\n"), nil
		}
		*p = macProxy{Enabled: true, Server: args[2], Port: port, Auth: len(args) > 4 && args[4] == "on"}
		return nil, nil
	}
	state := func(b *bool) ([]byte, error) {
		if len(args) < 3 || (args[2] != "on" && args[2] != "off") {
			return []byte("** Error: The parameters were not valid.\n"), nil
		}
		*b = args[2] == "on"
		return nil, nil
	}
	switch args[0] {
	case "-getwebproxy":
		return proxy(s.Web), nil
	case "-getsecurewebproxy":
		return proxy(s.Secure), nil
	case "-getautoproxyurl":
		u := s.AutoURL
		if u == "" {
			u = "(null)"
		}
		return fmt.Appendf(nil, "URL: %s\nEnabled: %s\n", u, onOff(s.AutoEnabled, "Yes", "No")), nil
	case "-getproxyautodiscovery":
		return fmt.Appendf(nil, "Auto Proxy Discovery: %s\n", onOff(s.Discovery, "On", "Off")), nil
	case "-setwebproxy":
		return set(&s.Web)
	case "-setsecurewebproxy":
		return set(&s.Secure)
	case "-setwebproxystate":
		return state(&s.Web.Enabled)
	case "-setsecurewebproxystate":
		return state(&s.Secure.Enabled)
	case "-setautoproxystate":
		return state(&s.AutoEnabled)
	case "-setproxyautodiscovery":
		return state(&s.Discovery)
	}
	f.t.Errorf("unexpected networksetup command %q", args)
	return []byte("** Error: unknown command\n"), nil
}

// macServices: Wi-Fi on a PAC with discovery, Ethernet on a corporate web
// proxy with a disabled secure proxy, a disabled Bluetooth service.
func macServices() []macService {
	return []macService{
		{Name: "Wi-Fi", AutoURL: "http://wpad.home.arpa/wpad.dat", AutoEnabled: true, Discovery: true},
		{Name: "*Bluetooth PAN"},
		{Name: "USB 10/100/1000 LAN",
			Web:    macProxy{Enabled: true, Server: "proxy.corp.example", Port: 3128},
			Secure: macProxy{Enabled: false, Server: "old.corp.example", Port: 3129}},
	}
}

func TestMacCommands(t *testing.T) {
	tgt := target{Host: "127.0.0.1", Port: 8228}
	s := macServices()
	got := macApplyCommands(s[0], tgt)
	want := [][]string{
		{"-setwebproxy", "Wi-Fi", "127.0.0.1", "8228", "off"},
		{"-setsecurewebproxy", "Wi-Fi", "127.0.0.1", "8228", "off"},
		{"-setautoproxystate", "Wi-Fi", "off"},
		{"-setproxyautodiscovery", "Wi-Fi", "off"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("macApplyCommands(Wi-Fi) (-want +got):\n%s", d)
	}
	got = macRestoreCommands(s[0])
	want = [][]string{
		{"-setwebproxystate", "Wi-Fi", "off"},
		{"-setsecurewebproxystate", "Wi-Fi", "off"},
		{"-setproxyautodiscovery", "Wi-Fi", "on"},
		{"-setautoproxystate", "Wi-Fi", "on"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("macRestoreCommands(Wi-Fi) (-want +got):\n%s", d)
	}
	got = macRestoreCommands(s[2])
	want = [][]string{
		{"-setwebproxy", "USB 10/100/1000 LAN", "proxy.corp.example", "3128"},
		{"-setsecurewebproxy", "USB 10/100/1000 LAN", "old.corp.example", "3129"},
		{"-setsecurewebproxystate", "USB 10/100/1000 LAN", "off"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("macRestoreCommands(LAN) (-want +got):\n%s", d)
	}
}

func TestParseServices(t *testing.T) {
	got := parseServices([]byte("An asterisk (*) denotes that a network service is disabled.\nWi-Fi\n*Bluetooth PAN\nThunderbolt Bridge\r\n\n"))
	if d := cmp.Diff([]string{"Wi-Fi", "Thunderbolt Bridge"}, got); d != "" {
		t.Errorf("parseServices() (-want +got):\n%s", d)
	}
	p, err := parseMacProxy([]byte("Enabled: Yes\nServer: 10.0.0.1\nPort: 3128\nAuthenticated Proxy Enabled: 1\n"))
	if want := (macProxy{Enabled: true, Server: "10.0.0.1", Port: 3128, Auth: true}); err != nil || p != want {
		t.Errorf("parseMacProxy() = %+v, %v; want %+v", p, err, want)
	}
	if _, err := parseMacProxy([]byte("garbage")); err == nil {
		t.Error("parseMacProxy(garbage) succeeded")
	}
}

// wantRestored is the state after Disable: as before, except that a proxy
// that had no server keeps Polaris's address in its (disabled) server
// field, as networksetup cannot store an empty server.
func wantRestored(before map[string]macService, t target) map[string]macService {
	out := map[string]macService{}
	for k, s := range before {
		for _, p := range []*macProxy{&s.Web, &s.Secure} {
			if p.Server == "" {
				*p = macProxy{Server: t.Host, Port: t.Port}
			}
		}
		out[k] = s
	}
	return out
}

func TestMacEnableDisable(t *testing.T) {
	ns := newFakeNS(t, macServices()...)
	before := ns.state()
	j := &memJournal{}
	m := newTestManager(t, Config{Journal: j, Run: ns.run, Env: []string{"HOME=/nonexistent"}}, platform{goos: "darwin"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	wantCmds := [][]string{
		{"-setwebproxy", "Wi-Fi", "127.0.0.1", "8228", "off"},
		{"-setsecurewebproxy", "Wi-Fi", "127.0.0.1", "8228", "off"},
		{"-setautoproxystate", "Wi-Fi", "off"},
		{"-setproxyautodiscovery", "Wi-Fi", "off"},
		{"-setwebproxy", "USB 10/100/1000 LAN", "127.0.0.1", "8228", "off"},
		{"-setsecurewebproxy", "USB 10/100/1000 LAN", "127.0.0.1", "8228", "off"},
	}
	if d := cmp.Diff(wantCmds, ns.changes); d != "" {
		t.Errorf("Enable ran (-want +got):\n%s", d)
	}
	tgt := target{Host: "127.0.0.1", Port: 8228}
	for name, s := range ns.state() {
		if !macPointsAt(s, tgt) || s.AutoEnabled || s.Discovery {
			t.Errorf("after Enable, %s = %+v, want pointing at Polaris, no PAC, no discovery", name, s)
		}
	}
	st, err := m.Status(ctx)
	if err != nil || !st.SystemProxy || !slices.Equal(st.Backends, []string{macName}) {
		t.Errorf("Status() = %+v, %v; want on with macos", st, err)
	}
	ns.changes = nil
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ns.changes) != 0 {
		t.Errorf("a second Enable changed %q", ns.changes)
	}
	if err := m.Disable(ctx); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if d := cmp.Diff(wantRestored(before, tgt), ns.state()); d != "" {
		t.Errorf("after Disable (-want +got):\n%s", d)
	}
}

func TestMacUserChangedOneService(t *testing.T) {
	ns := newFakeNS(t, macServices()...)
	before := ns.state()
	m := newTestManager(t, Config{Journal: &memJournal{}, Run: ns.run, Env: []string{}}, platform{goos: "darwin"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	ns.mu.Lock()
	ns.svc["Wi-Fi"].Web = macProxy{Enabled: true, Server: "10.1.1.1", Port: 8080}
	ns.mu.Unlock()
	if err := m.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	after := ns.state()
	if after["Wi-Fi"].Web.Server != "10.1.1.1" {
		t.Errorf("Disable overrode the user's Wi-Fi change: %+v", after["Wi-Fi"])
	}
	lan := "USB 10/100/1000 LAN"
	if d := cmp.Diff(before[lan], after[lan]); d != "" {
		t.Errorf("the other service was not restored (-before +after):\n%s", d)
	}
	st, _ := m.Status(ctx)
	if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, `"Wi-Fi" were changed`) }) {
		t.Errorf("Status().Warnings = %q, want a note about Wi-Fi", st.Warnings)
	}
}

func TestMacCrashAtEveryPoint(t *testing.T) {
	tgt := target{Host: "127.0.0.1", Port: 8228}
	for crashAt := 0; ; crashAt++ {
		ns := newFakeNS(t, macServices()...)
		before := ns.state()
		ns.crashAt = crashAt
		j := &memJournal{}
		m := newTestManager(t, Config{Journal: j, Run: ns.run, Env: []string{}}, platform{goos: "darwin"})
		finished := false
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := m.Enable(context.Background()); err != nil {
				t.Errorf("Enable: %v", err)
			}
			finished = true
		}()
		<-done
		ns.crashAt = -1
		m2 := newTestManager(t, Config{Journal: j, Run: ns.run, Env: []string{}}, platform{goos: "darwin"})
		if _, err := m2.Recover(context.Background()); err != nil {
			t.Fatalf("crash at %d: Recover: %v", crashAt, err)
		}
		got := ns.state()
		for name, s := range got {
			b := before[name]
			// Equal up to the inactive server residue, proxy by proxy.
			residue := func(p, was macProxy) bool {
				return p == was || (was.Server == "" && p == macProxy{Server: tgt.Host, Port: tgt.Port})
			}
			if !residue(s.Web, b.Web) || !residue(s.Secure, b.Secure) || s.AutoEnabled != b.AutoEnabled || s.Discovery != b.Discovery {
				t.Fatalf("crash at %d: %s after Recover = %+v, want %+v", crashAt, name, s, b)
			}
		}
		if finished {
			return
		}
	}
}

func FuzzParseMacProxy(f *testing.F) {
	f.Add([]byte("Enabled: Yes\nServer: 10.0.0.1\nPort: 3128\nAuthenticated Proxy Enabled: 1\n"))
	f.Add([]byte("Enabled: No\nServer: \nPort: 0\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		_, _ = parseMacProxy(out)
		parseServices(out)
	})
}

// TestMacAuthenticatedServiceLeftAlone: a service behind a proxy with a
// user name and password is not touched, since networksetup could not put
// its authentication back without the password.
func TestMacAuthenticatedServiceLeftAlone(t *testing.T) {
	svcs := append(macServices(), macService{Name: "Office VPN",
		Web:    macProxy{Enabled: true, Server: "auth.corp.example", Port: 8080, Auth: true},
		Secure: macProxy{Enabled: true, Server: "auth.corp.example", Port: 8080, Auth: true}})
	ns := newFakeNS(t, svcs...)
	before := ns.state()
	m := newTestManager(t, Config{Journal: &memJournal{}, Run: ns.run, Env: []string{}}, platform{goos: "darwin"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range ns.changes {
		if c[1] == "Office VPN" {
			t.Errorf("networksetup %q touched the authenticated service", c)
		}
	}
	if d := cmp.Diff(before["Office VPN"], ns.state()["Office VPN"]); d != "" {
		t.Errorf("the authenticated service changed (-before +after):\n%s", d)
	}
	want := wantRestored(before, target{Host: "127.0.0.1", Port: 8228})
	if d := cmp.Diff(want["Wi-Fi"], ns.state()["Wi-Fi"]); d != "" {
		t.Errorf("Wi-Fi not restored (-want +got):\n%s", d)
	}
}
