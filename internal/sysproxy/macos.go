// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

const macName = "macos"

// macProxy is one of a service's proxies as networksetup reports it.
type macProxy struct {
	Enabled bool   `json:"enabled"`
	Server  string `json:"server"`
	Port    int    `json:"port"`
	Auth    bool   `json:"auth,omitempty"`
}

// macService is the saved proxy state of one network service.
type macService struct {
	Name        string   `json:"name"`
	Web         macProxy `json:"web"`
	Secure      macProxy `json:"secure"`
	AutoURL     string   `json:"autoURL,omitempty"`
	AutoEnabled bool     `json:"autoEnabled,omitempty"`
	Discovery   bool     `json:"discovery,omitempty"`
}

type macState struct {
	Services []macService `json:"services"`
}

// macBackend sets the proxies of every enabled macOS network service with
// networksetup.
type macBackend struct{ sys *sys }

func (b *macBackend) name() string  { return macName }
func (b *macBackend) title() string { return "macOS" }

func (b *macBackend) ns(ctx context.Context, args ...string) ([]byte, error) {
	out, err := b.sys.run(ctx, "networksetup", args...)
	if err != nil {
		return nil, err
	}
	// networksetup reports many errors on standard output, exit status 0.
	if t := bytes.TrimSpace(out); bytes.HasPrefix(t, []byte("**")) {
		return nil, fmt.Errorf("networksetup %s: %s", strings.Join(args, " "), t)
	}
	return out, nil
}

// parseServices parses `networksetup -listallnetworkservices`: one service
// per line after a header; disabled services start with "*" and are left
// out.
func parseServices(out []byte) []string {
	var svcs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "An asterisk") || strings.HasPrefix(line, "*") {
			continue
		}
		svcs = append(svcs, line)
	}
	return svcs
}

// parseFields parses networksetup's "Key: value" lines.
func parseFields(out []byte) map[string]string {
	f := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			f[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return f
}

func yes(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "on", "1":
		return true
	}
	return false
}

// parseMacProxy parses `networksetup -getwebproxy` (or -getsecurewebproxy).
func parseMacProxy(out []byte) (macProxy, error) {
	f := parseFields(out)
	en, ok := f["Enabled"]
	if !ok {
		return macProxy{}, fmt.Errorf("unexpected networksetup output %q", out)
	}
	p := macProxy{Enabled: yes(en), Server: f["Server"], Auth: yes(f["Authenticated Proxy Enabled"])}
	if s := f["Port"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return macProxy{}, fmt.Errorf("unexpected networksetup port %q", s)
		}
		p.Port = n
	}
	return p, nil
}

func (b *macBackend) services(ctx context.Context) ([]string, error) {
	out, err := b.ns(ctx, "-listallnetworkservices")
	if err != nil {
		return nil, err
	}
	return parseServices(out), nil
}

func (b *macBackend) readService(ctx context.Context, name string) (macService, error) {
	s := macService{Name: name}
	for _, p := range []struct {
		cmd string
		dst *macProxy
	}{{"-getwebproxy", &s.Web}, {"-getsecurewebproxy", &s.Secure}} {
		out, err := b.ns(ctx, p.cmd, name)
		if err != nil {
			return s, err
		}
		if *p.dst, err = parseMacProxy(out); err != nil {
			return s, fmt.Errorf("network service %q: %w", name, err)
		}
	}
	out, err := b.ns(ctx, "-getautoproxyurl", name)
	if err != nil {
		return s, err
	}
	f := parseFields(out)
	if u := f["URL"]; u != "(null)" {
		s.AutoURL = u
	}
	s.AutoEnabled = yes(f["Enabled"])
	out, err = b.ns(ctx, "-getproxyautodiscovery", name)
	if err != nil {
		return s, err
	}
	s.Discovery = yes(parseFields(out)["Auto Proxy Discovery"])
	return s, nil
}

func (b *macBackend) read(ctx context.Context) (macState, error) {
	names, err := b.services(ctx)
	if err != nil {
		return macState{}, err
	}
	var st macState
	for _, n := range names {
		s, err := b.readService(ctx, n)
		if err != nil {
			return st, err
		}
		st.Services = append(st.Services, s)
	}
	return st, nil
}

func (b *macBackend) snapshot(ctx context.Context) (json.RawMessage, error) {
	st, err := b.read(ctx)
	if err != nil {
		return nil, err
	}
	if len(st.Services) == 0 {
		return nil, fmt.Errorf("networksetup lists no enabled network service")
	}
	return json.Marshal(st)
}

// macPointsAt reports whether a service's web and secure web proxies are on
// and point at t.
func macPointsAt(s macService, t target) bool {
	is := func(p macProxy) bool { return p.Enabled && strings.EqualFold(p.Server, t.Host) && p.Port == t.Port }
	return is(s.Web) && is(s.Secure)
}

// macApplyCommands are the networksetup arguments that point service s at
// t: web and secure web proxy on, then automatic proxy configuration and
// discovery off (they would take precedence).
func macApplyCommands(s macService, t target) [][]string {
	port := strconv.Itoa(t.Port)
	cmds := [][]string{
		{"-setwebproxy", s.Name, t.Host, port, "off"},
		{"-setsecurewebproxy", s.Name, t.Host, port, "off"},
	}
	if s.AutoEnabled {
		cmds = append(cmds, []string{"-setautoproxystate", s.Name, "off"})
	}
	if s.Discovery {
		cmds = append(cmds, []string{"-setproxyautodiscovery", s.Name, "off"})
	}
	return cmds
}

// macAuthenticated reports whether a service uses a proxy with a user name
// and password. Polaris leaves such a service alone: networksetup can set
// the authentication back only with the password, which lives in the
// keychain, so a restore could not put the user's proxy back as it was.
func macAuthenticated(s macService) bool { return s.Web.Auth || s.Secure.Auth }

// macRestoreCommands are the networksetup arguments that put service s
// back as saved. A proxy that had no server is turned off (networksetup
// cannot store an empty server; the inactive server field keeps Polaris's
// address, which nothing uses).
func macRestoreCommands(s macService) [][]string {
	var cmds [][]string
	for _, p := range []struct {
		set, state string
		v          macProxy
	}{{"-setwebproxy", "-setwebproxystate", s.Web}, {"-setsecurewebproxy", "-setsecurewebproxystate", s.Secure}} {
		if p.v.Server != "" {
			cmds = append(cmds, []string{p.set, s.Name, p.v.Server, strconv.Itoa(p.v.Port)})
		}
		if !p.v.Enabled || p.v.Server == "" {
			cmds = append(cmds, []string{p.state, s.Name, "off"})
		}
	}
	if s.Discovery {
		cmds = append(cmds, []string{"-setproxyautodiscovery", s.Name, "on"})
	}
	if s.AutoEnabled {
		cmds = append(cmds, []string{"-setautoproxystate", s.Name, "on"})
	}
	return cmds
}

// macUntouched reports whether only Polaris changed service cur since
// saved: each proxy names the saved server or one of ts (enabled or not:
// the restore sequence passes through both), and automatic configuration
// and discovery are as saved or off.
func macUntouched(cur, saved macService, ts []target) bool {
	proxy := func(c, s macProxy) bool {
		if c.Server == s.Server && c.Port == s.Port {
			return true
		}
		for _, t := range ts {
			if strings.EqualFold(c.Server, t.Host) && c.Port == t.Port {
				return true
			}
		}
		return false
	}
	return proxy(cur.Web, saved.Web) && proxy(cur.Secure, saved.Secure) &&
		(cur.AutoEnabled == saved.AutoEnabled || !cur.AutoEnabled) &&
		(cur.Discovery == saved.Discovery || !cur.Discovery)
}

func (b *macBackend) runAll(ctx context.Context, cmds [][]string) error {
	for _, c := range cmds {
		if _, err := b.ns(ctx, c...); err != nil {
			return err
		}
	}
	return nil
}

func (b *macBackend) apply(ctx context.Context, t target, saved json.RawMessage) error {
	var st macState
	if err := json.Unmarshal(saved, &st); err != nil {
		return fmt.Errorf("decoding the saved macOS settings: %w", err)
	}
	for _, s := range st.Services {
		if macAuthenticated(s) {
			continue // see macAuthenticated
		}
		cur, err := b.readService(ctx, s.Name)
		if err != nil {
			return err
		}
		if macPointsAt(cur, t) && !cur.AutoEnabled && !cur.Discovery {
			continue
		}
		if err := b.runAll(ctx, macApplyCommands(cur, t)); err != nil {
			return err
		}
	}
	return nil
}

// untouched is true: merge and restoreParts decide service by service.
func (b *macBackend) untouched(context.Context, []target, json.RawMessage) (bool, error) {
	return true, nil
}

// ours: at least one service points at t.
func (b *macBackend) ours(ctx context.Context, t target, _ json.RawMessage) (bool, error) {
	st, err := b.read(ctx)
	if err != nil {
		return false, err
	}
	for _, s := range st.Services {
		if macPointsAt(s, t) {
			return true, nil
		}
	}
	return false, nil
}

// merge keeps the saved state of services that still point at t and takes
// the current state of the others (new services, or ones the user changed).
func (b *macBackend) merge(ctx context.Context, ts []target, old json.RawMessage) (json.RawMessage, error) {
	var prev macState
	if err := json.Unmarshal(old, &prev); err != nil {
		return nil, fmt.Errorf("decoding the saved macOS settings: %w", err)
	}
	cur, err := b.read(ctx)
	if err != nil {
		return nil, err
	}
	for i, s := range cur.Services {
		for _, p := range prev.Services {
			if p.Name == s.Name && macUntouched(s, p, ts) {
				cur.Services[i] = p
			}
		}
	}
	return json.Marshal(cur)
}

func (b *macBackend) restore(ctx context.Context, saved json.RawMessage) error {
	_, err := b.restoreParts(ctx, nil, saved)
	return err
}

// restoreParts restores each service nobody else changed; with ts nil,
// every service.
func (b *macBackend) restoreParts(ctx context.Context, ts []target, saved json.RawMessage) ([]string, error) {
	var st macState
	if err := json.Unmarshal(saved, &st); err != nil {
		return nil, fmt.Errorf("decoding the saved macOS settings: %w", err)
	}
	var notes []string
	for _, s := range st.Services {
		if macAuthenticated(s) {
			continue // never touched, so nothing to put back
		}
		cur, err := b.readService(ctx, s.Name)
		if err != nil {
			return notes, err
		}
		if ts != nil && !macUntouched(cur, s, ts) {
			notes = append(notes, fmt.Sprintf("The proxy settings of network service %q were changed after Polaris set them; Polaris left them as they are.", s.Name))
			continue
		}
		if err := b.runAll(ctx, macRestoreCommands(s)); err != nil {
			return notes, err
		}
	}
	return notes, nil
}
