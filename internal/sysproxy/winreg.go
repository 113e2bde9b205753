// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
)

const (
	winName = "windows"
	// WinInternetSettings is the HKEY_CURRENT_USER key holding WinINet's
	// proxy settings (used by Edge, Chrome and most Windows programs).
	WinInternetSettings = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`
)

// regKey is an open registry key: the real one on Windows, a map in tests.
// Get* report ok=false for a missing value; Delete of a missing value is
// not an error.
type regKey interface {
	GetString(name string) (v string, ok bool, err error)
	GetDWord(name string) (v uint32, ok bool, err error)
	SetString(name, v string) error
	SetDWord(name string, v uint32) error
	Delete(name string) error
	Close() error
}

// WinProxyValues are WinINet's proxy values; nil is a missing value.
// ProxyEnable is a REG_DWORD, the others REG_SZ.
type WinProxyValues struct {
	ProxyEnable   *uint32 `json:"proxyEnable,omitempty"`
	ProxyServer   *string `json:"proxyServer,omitempty"`
	ProxyOverride *string `json:"proxyOverride,omitempty"`
	AutoConfigURL *string `json:"autoConfigURL,omitempty"`
}

// WinProxyServer is the ProxyServer value that sends HTTP and HTTPS to
// proxyAddr: "http=127.0.0.1:8228;https=127.0.0.1:8228".
func WinProxyServer(proxyAddr string) string {
	return "http=" + proxyAddr + ";https=" + proxyAddr
}

// WinEnabledValues returns the values Enable writes given the current ones:
// ProxyEnable 1, ProxyServer for HTTP and HTTPS, no AutoConfigURL (a PAC URL
// would take precedence), and the user's ProxyOverride bypass list kept.
func WinEnabledValues(cur WinProxyValues, proxyAddr string) WinProxyValues {
	one := uint32(1)
	server := WinProxyServer(proxyAddr)
	return WinProxyValues{ProxyEnable: &one, ProxyServer: &server, ProxyOverride: cur.ProxyOverride}
}

// winProxyServerIs reports whether a ProxyServer value sends HTTP and HTTPS
// to t ("h:p" for every scheme, or "http=h:p;https=h:p;...").
func winProxyServerIs(v string, t target) bool {
	is := func(hp string) bool {
		hp = strings.TrimPrefix(strings.TrimSpace(hp), "http://")
		h, p, err := net.SplitHostPort(strings.TrimSuffix(hp, "/"))
		n, perr := strconv.Atoi(p)
		return err == nil && perr == nil && strings.EqualFold(h, t.Host) && n == t.Port
	}
	if !strings.Contains(v, "=") {
		return is(v)
	}
	var http, https bool
	for _, part := range strings.Split(v, ";") {
		scheme, hp, _ := strings.Cut(part, "=")
		switch strings.ToLower(strings.TrimSpace(scheme)) {
		case "http":
			http = is(hp)
		case "https":
			https = is(hp)
		}
	}
	return http && https
}

// winBackend writes the WinINet Internet Settings values and tells WinINet
// to reload them.
type winBackend struct{ sys *sys }

func (w *winBackend) name() string  { return winName }
func (w *winBackend) title() string { return "Windows" }

func readWinValues(k regKey) (WinProxyValues, error) {
	var v WinProxyValues
	d, ok, err := k.GetDWord("ProxyEnable")
	if err != nil {
		return v, fmt.Errorf("reading ProxyEnable: %w", err)
	}
	if ok {
		v.ProxyEnable = &d
	}
	for _, s := range []struct {
		name string
		dst  **string
	}{{"ProxyServer", &v.ProxyServer}, {"ProxyOverride", &v.ProxyOverride}, {"AutoConfigURL", &v.AutoConfigURL}} {
		str, ok, err := k.GetString(s.name)
		if err != nil {
			return v, fmt.Errorf("reading %s: %w", s.name, err)
		}
		if ok {
			*s.dst = &str
		}
	}
	return v, nil
}

// writeWinValues changes the values that differ from cur into want.
func writeWinValues(k regKey, cur, want WinProxyValues) error {
	if !eqPtr(cur.ProxyEnable, want.ProxyEnable) {
		var err error
		if want.ProxyEnable == nil {
			err = k.Delete("ProxyEnable")
		} else {
			err = k.SetDWord("ProxyEnable", *want.ProxyEnable)
		}
		if err != nil {
			return fmt.Errorf("writing ProxyEnable: %w", err)
		}
	}
	for _, s := range []struct {
		name      string
		cur, want *string
	}{{"ProxyServer", cur.ProxyServer, want.ProxyServer}, {"ProxyOverride", cur.ProxyOverride, want.ProxyOverride}, {"AutoConfigURL", cur.AutoConfigURL, want.AutoConfigURL}} {
		if eqPtr(s.cur, s.want) {
			continue
		}
		var err error
		if s.want == nil {
			err = k.Delete(s.name)
		} else {
			err = k.SetString(s.name, *s.want)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	return nil
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (w *winBackend) open() (regKey, error) {
	k, err := w.sys.openReg(WinInternetSettings)
	if err != nil {
		return nil, fmt.Errorf("opening HKCU\\%s: %w", WinInternetSettings, err)
	}
	return k, nil
}

func (w *winBackend) read() (WinProxyValues, error) {
	k, err := w.open()
	if err != nil {
		return WinProxyValues{}, err
	}
	defer k.Close()
	return readWinValues(k)
}

func (w *winBackend) write(want WinProxyValues) error {
	k, err := w.open()
	if err != nil {
		return err
	}
	defer k.Close()
	cur, err := readWinValues(k)
	if err != nil {
		return err
	}
	if err := writeWinValues(k, cur, want); err != nil {
		return err
	}
	if w.sys.refresh != nil {
		if err := w.sys.refresh(); err != nil {
			return fmt.Errorf("telling WinINet the settings changed: %w", err)
		}
	}
	return nil
}

func (w *winBackend) snapshot(context.Context) (json.RawMessage, error) {
	v, err := w.read()
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func (w *winBackend) apply(_ context.Context, t target, _ json.RawMessage) error {
	cur, err := w.read()
	if err != nil {
		return err
	}
	return w.write(WinEnabledValues(cur, t.hostPort()))
}

func (w *winBackend) ours(_ context.Context, t target, _ json.RawMessage) (bool, error) {
	v, err := w.read()
	if err != nil {
		return false, err
	}
	return v.ProxyEnable != nil && *v.ProxyEnable == 1 && v.ProxyServer != nil &&
		winProxyServerIs(*v.ProxyServer, t) && (v.AutoConfigURL == nil || *v.AutoConfigURL == ""), nil
}

func (w *winBackend) untouched(_ context.Context, ts []target, saved json.RawMessage) (bool, error) {
	var prev WinProxyValues
	if err := json.Unmarshal(saved, &prev); err != nil {
		return false, fmt.Errorf("decoding the saved Windows settings: %w", err)
	}
	cur, err := w.read()
	if err != nil {
		return false, err
	}
	one := uint32(1)
	server := eqPtr(cur.ProxyServer, prev.ProxyServer)
	for _, t := range ts {
		server = server || eqPtr(cur.ProxyServer, WinEnabledValues(prev, t.hostPort()).ProxyServer)
	}
	return server && (eqPtr(cur.ProxyEnable, &one) || eqPtr(cur.ProxyEnable, prev.ProxyEnable)) &&
		(cur.AutoConfigURL == nil || eqPtr(cur.AutoConfigURL, prev.AutoConfigURL)), nil
}

func (w *winBackend) usesPAC(_ context.Context, url string) (bool, error) {
	v, err := w.read()
	if err != nil {
		return false, err
	}
	return v.AutoConfigURL != nil && *v.AutoConfigURL == url, nil
}

func (w *winBackend) restore(_ context.Context, saved json.RawMessage) error {
	var v WinProxyValues
	if err := json.Unmarshal(saved, &v); err != nil {
		return fmt.Errorf("decoding the saved Windows settings: %w", err)
	}
	// Polaris never changes ProxyOverride: keep whatever it is now.
	cur, err := w.read()
	if err != nil {
		return err
	}
	v.ProxyOverride = cur.ProxyOverride
	return w.write(v)
}
