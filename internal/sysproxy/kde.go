// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	kdeName  = "kde"
	kdeFile  = "kioslaverc"
	kdeGroup = "Proxy Settings"
	// kdeAbsent is the default kreadconfig returns for a missing key, so
	// a missing key is told apart from an empty one.
	kdeAbsent = "\x01polaris-absent\x01"
)

// kdeKeys are the kioslaverc keys saved; kdeManaged those Enable may change,
// in restore order (ProxyType first).
var (
	kdeKeys    = []string{"ProxyType", "httpProxy", "httpsProxy", "ReversedException", "NoProxyFor", "Proxy Config Script", "ftpProxy", "socksProxy"}
	kdeManaged = []string{"ProxyType", "httpProxy", "httpsProxy", "ReversedException"}
)

// kdeValue is a saved key; Absent means the key was not in the file.
type kdeValue struct {
	Value  string `json:"value,omitempty"`
	Absent bool   `json:"absent,omitempty"`
}

type kdeState struct {
	// Version is the KDE Frameworks major version whose tools were used.
	Version int                 `json:"version"`
	Values  map[string]kdeValue `json:"values"`
}

// kdeBackend sets KDE Plasma's proxy ([Proxy Settings] in kioslaverc)
// through kwriteconfig5/6 and kreadconfig5/6.
type kdeBackend struct{ sys *sys }

func (k *kdeBackend) name() string  { return kdeName }
func (k *kdeBackend) title() string { return "KDE" }

// tools returns the KDE Frameworks version whose kreadconfig/kwriteconfig
// to use (6 or 5), or 0 when neither is installed. KDE_SESSION_VERSION
// decides when both are.
func (k *kdeBackend) tools() int {
	has := func(v int) bool {
		n := strconv.Itoa(v)
		return k.sys.lookPath("kwriteconfig"+n) != "" && k.sys.lookPath("kreadconfig"+n) != ""
	}
	pref := []int{6, 5}
	if k.sys.getenv("KDE_SESSION_VERSION") == "5" {
		pref = []int{5, 6}
	}
	for _, v := range pref {
		if has(v) {
			return v
		}
	}
	return 0
}

// present: the tools exist and this is a KDE session or the user already
// has a kioslaverc (KDE programs used on another desktop).
func (k *kdeBackend) present(context.Context) bool {
	if k.tools() == 0 {
		return false
	}
	if k.sys.desktop("KDE") || k.sys.getenv("KDE_FULL_SESSION") == "true" {
		return true
	}
	dir, err := k.sys.configHome()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, kdeFile))
	return err == nil
}

func (k *kdeBackend) tool(kind string, v int) string { return kind + strconv.Itoa(v) }

func (k *kdeBackend) version(saved int) (int, error) {
	if v := k.tools(); v != 0 {
		return v, nil
	}
	if saved != 0 {
		return 0, fmt.Errorf("kwriteconfig%d is not installed", saved)
	}
	return 0, fmt.Errorf("neither kwriteconfig6 nor kwriteconfig5 is installed")
}

func (k *kdeBackend) read(ctx context.Context, v int) (map[string]kdeValue, error) {
	vals := map[string]kdeValue{}
	for _, key := range kdeKeys {
		out, err := k.sys.run(ctx, k.tool("kreadconfig", v), "--file", kdeFile, "--group", kdeGroup, "--key", key, "--default", kdeAbsent)
		if err != nil {
			return nil, err
		}
		s := strings.TrimSuffix(string(out), "\n")
		if s == kdeAbsent {
			vals[key] = kdeValue{Absent: true}
		} else {
			vals[key] = kdeValue{Value: s}
		}
	}
	return vals, nil
}

func (k *kdeBackend) write(ctx context.Context, v int, key string, val kdeValue) error {
	args := []string{"--file", kdeFile, "--group", kdeGroup, "--key", key}
	switch {
	case val.Absent:
		args = append(args, "--delete")
	default:
		args = append(args, val.Value)
	}
	_, err := k.sys.run(ctx, k.tool("kwriteconfig", v), args...)
	return err
}

// notify asks running KDE programs to re-read their proxy settings. Best
// effort: without a session bus there is nobody to tell.
func (k *kdeBackend) notify(ctx context.Context) {
	if k.sys.lookPath("dbus-send") == "" || !k.sys.sessionBus() {
		return
	}
	_, _ = k.sys.run(ctx, "dbus-send", "--session", "--type=signal", "/KIO/Scheduler",
		"org.kde.KIO.Scheduler.reparseSlaveConfiguration", "string:")
}

func (k *kdeBackend) snapshot(ctx context.Context) (json.RawMessage, error) {
	v, err := k.version(0)
	if err != nil {
		return nil, err
	}
	vals, err := k.read(ctx, v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(kdeState{Version: v, Values: vals})
}

// kdeProxyValue is a proxy in the form KDE's proxy settings module writes:
// "http://HOST PORT".
func kdeProxyValue(t target) string {
	host := t.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host + " " + strconv.Itoa(t.Port)
}

// kdeDesired is what each managed key holds while Polaris is the proxy.
// ReversedException=false matters: true would make NoProxyFor the list of
// the only hosts that use the proxy.
func kdeDesired(t target) map[string]kdeValue {
	p := kdeProxyValue(t)
	return map[string]kdeValue{
		"ProxyType":         {Value: "1"},
		"httpProxy":         {Value: p},
		"httpsProxy":        {Value: p},
		"ReversedException": {Value: "false"},
	}
}

// kdeProxyIs reports whether a kioslaverc proxy value ("http://h p",
// "http://h:p", "h:p") names t.
func kdeProxyIs(v string, t target) bool {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
	}
	v = strings.TrimSuffix(v, "/")
	var host, port string
	if h, p, ok := strings.Cut(v, " "); ok {
		host, port = strings.Trim(h, "[]"), strings.TrimSpace(p)
	} else {
		var err error
		if host, port, err = net.SplitHostPort(v); err != nil {
			return false
		}
	}
	p, err := strconv.Atoi(port)
	return err == nil && strings.EqualFold(host, t.Host) && p == t.Port
}

func kdeReversed(v kdeValue) bool {
	return !v.Absent && (strings.EqualFold(v.Value, "true") || v.Value == "1")
}

func (k *kdeBackend) apply(ctx context.Context, t target, saved json.RawMessage) error {
	var st kdeState
	_ = json.Unmarshal(saved, &st)
	v, err := k.version(st.Version)
	if err != nil {
		return err
	}
	cur, err := k.read(ctx, v)
	if err != nil {
		return err
	}
	want := kdeDesired(t)
	for i := len(kdeManaged) - 1; i >= 0; i-- {
		key := kdeManaged[i]
		c := cur[key]
		same := !c.Absent && c.Value == want[key].Value
		if key == "ReversedException" {
			same = !kdeReversed(c)
		}
		if !same {
			if err := k.write(ctx, v, key, want[key]); err != nil {
				return err
			}
		}
	}
	k.notify(ctx)
	return nil
}

func (k *kdeBackend) ours(ctx context.Context, t target, saved json.RawMessage) (bool, error) {
	var st kdeState
	_ = json.Unmarshal(saved, &st)
	v, err := k.version(st.Version)
	if err != nil {
		return false, err
	}
	cur, err := k.read(ctx, v)
	if err != nil {
		return false, err
	}
	return cur["ProxyType"].Value == "1" && !kdeReversed(cur["ReversedException"]) &&
		kdeProxyIs(cur["httpProxy"].Value, t) && kdeProxyIs(cur["httpsProxy"].Value, t), nil
}

func (k *kdeBackend) untouched(ctx context.Context, ts []target, saved json.RawMessage) (bool, error) {
	var st kdeState
	if err := json.Unmarshal(saved, &st); err != nil {
		return false, fmt.Errorf("decoding the saved KDE settings: %w", err)
	}
	v, err := k.version(st.Version)
	if err != nil {
		return false, err
	}
	cur, err := k.read(ctx, v)
	if err != nil {
		return false, err
	}
	for _, key := range kdeManaged {
		c := cur[key]
		if c == st.Values[key] {
			continue
		}
		if !slices.ContainsFunc(ts, func(t target) bool { return c == kdeDesired(t)[key] }) {
			return false, nil
		}
	}
	return true, nil
}

func (k *kdeBackend) usesPAC(ctx context.Context, url string) (bool, error) {
	v, err := k.version(0)
	if err != nil {
		return false, err
	}
	cur, err := k.read(ctx, v)
	if err != nil {
		return false, err
	}
	return cur["ProxyType"].Value == "2" && cur["Proxy Config Script"].Value == url, nil
}

func (k *kdeBackend) restore(ctx context.Context, saved json.RawMessage) error {
	var st kdeState
	if err := json.Unmarshal(saved, &st); err != nil {
		return fmt.Errorf("decoding the saved KDE settings: %w", err)
	}
	v, err := k.version(st.Version)
	if err != nil {
		return err
	}
	cur, err := k.read(ctx, v)
	if err != nil {
		return err
	}
	for _, key := range kdeManaged {
		sv, ok := st.Values[key]
		if !ok || cur[key] == sv {
			continue
		}
		if err := k.write(ctx, v, key, sv); err != nil {
			return err
		}
	}
	k.notify(ctx)
	return nil
}
