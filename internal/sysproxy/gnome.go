// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

const (
	gnomeName   = "gnome"
	gnomeSchema = "org.gnome.system.proxy"
	// gnomePath is the dconf path of gnomeSchema.
	gnomePath = "/system/proxy/"
)

// gkey is one GSettings key: Sub is "" for gnomeSchema itself or the child
// schema ("http", "https", ...).
type gkey struct{ Sub, Key string }

func (k gkey) schema() string {
	if k.Sub == "" {
		return gnomeSchema
	}
	return gnomeSchema + "." + k.Sub
}

func (k gkey) String() string { return k.schema() + " " + k.Key }

// gnomeManaged are the keys Enable may change and Disable restores, in the
// order they are restored (mode first, so no intermediate state points at a
// half-restored proxy).
var gnomeManaged = []gkey{
	{"", "mode"},
	{"http", "host"}, {"http", "port"}, {"http", "use-authentication"},
	{"https", "host"}, {"https", "port"},
}

// gvalue is one saved key: its value in GVariant text form, and whether it
// was at its default (no user value; restored with gsettings reset).
type gvalue struct {
	Raw     string `json:"raw"`
	Default bool   `json:"default,omitempty"`
}

// gnomeState is the GNOME backend's saved state: every key of the proxy
// schemas ("org.gnome.system.proxy.http host" → value).
type gnomeState struct {
	Values map[string]gvalue `json:"values"`
}

// gnomeBackend sets org.gnome.system.proxy through gsettings (GNOME,
// Cinnamon, Budgie, Unity, and the GTK/Chromium/Firefox programs reading it
// on other desktops).
type gnomeBackend struct{ sys *sys }

func (g *gnomeBackend) name() string  { return gnomeName }
func (g *gnomeBackend) title() string { return "GNOME" }

// present: gsettings exists, the proxy schema is installed, settings are
// persistent (not the memory backend) and a session bus can be reached.
func (g *gnomeBackend) present(ctx context.Context) bool {
	if g.sys.lookPath("gsettings") == "" || !g.sys.sessionBus() || g.sys.getenv("GSETTINGS_BACKEND") == "memory" {
		return false
	}
	_, err := g.sys.run(ctx, "gsettings", "list-keys", gnomeSchema)
	return err == nil
}

// read returns every key's current value in GVariant text form.
func (g *gnomeBackend) read(ctx context.Context) (map[string]string, error) {
	out, err := g.sys.run(ctx, "gsettings", "list-recursively", gnomeSchema)
	if err != nil {
		return nil, err
	}
	vals := parseGsettingsList(out)
	if _, ok := vals[gkey{"", "mode"}.String()]; !ok {
		return nil, fmt.Errorf("gsettings list-recursively %s: no mode key in the output", gnomeSchema)
	}
	return vals, nil
}

// parseGsettingsList parses `gsettings list-recursively` output: lines of
// "schema key value".
func parseGsettingsList(out []byte) map[string]string {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		schema, rest, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		key, val, ok := strings.Cut(rest, " ")
		if !ok {
			continue
		}
		vals[schema+" "+key] = val
	}
	return vals
}

// userSet returns the keys that hold a user value, via `dconf dump`, and
// ok=false when dconf is not available (every key then counts as set).
func (g *gnomeBackend) userSet(ctx context.Context) (set map[string]bool, ok bool) {
	if g.sys.lookPath("dconf") == "" {
		return nil, false
	}
	out, err := g.sys.run(ctx, "dconf", "dump", gnomePath)
	if err != nil {
		return nil, false
	}
	return parseDconfDump(out), true
}

// parseDconfDump parses `dconf dump /system/proxy/` into the set of keys
// ("org.gnome.system.proxy.http host") that have a user value.
func parseDconfDump(out []byte) map[string]bool {
	set := map[string]bool{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line[1:len(line)-1], "/")
		default:
			if key, _, ok := strings.Cut(line, "="); ok {
				sub := strings.ReplaceAll(section, "/", ".")
				set[gkey{sub, key}.String()] = true
			}
		}
	}
	return set
}

func (g *gnomeBackend) snapshot(ctx context.Context) (json.RawMessage, error) {
	vals, err := g.read(ctx)
	if err != nil {
		return nil, err
	}
	set, known := g.userSet(ctx)
	st := gnomeState{Values: map[string]gvalue{}}
	for k, v := range vals {
		st.Values[k] = gvalue{Raw: v, Default: known && !set[k]}
	}
	return json.Marshal(st)
}

// gnomeDesired is the GVariant text each managed key takes while Polaris is
// the proxy.
func gnomeDesired(t target) map[gkey]string {
	host, port := gvString(t.Host), strconv.Itoa(t.Port)
	return map[gkey]string{
		{"", "mode"}:                   "'manual'",
		{"http", "host"}:               host,
		{"http", "port"}:               port,
		{"http", "use-authentication"}: "false",
		{"https", "host"}:              host,
		{"https", "port"}:              port,
	}
}

// gvString quotes s as a GVariant text string.
func gvString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

func (g *gnomeBackend) set(ctx context.Context, k gkey, raw string) error {
	_, err := g.sys.run(ctx, "gsettings", "set", k.schema(), k.Key, raw)
	return err
}

func (g *gnomeBackend) apply(ctx context.Context, t target, _ json.RawMessage) error {
	cur, err := g.read(ctx)
	if err != nil {
		return err
	}
	want := gnomeDesired(t)
	// Hosts and ports first, the mode last: no moment points at a
	// half-written proxy.
	for i := len(gnomeManaged) - 1; i >= 0; i-- {
		k := gnomeManaged[i]
		if cur[k.String()] != want[k] {
			if err := g.set(ctx, k, want[k]); err != nil {
				return err
			}
		}
	}
	ours, err := g.ours(ctx, t, nil)
	if err != nil {
		return err
	}
	if !ours {
		return fmt.Errorf("gsettings accepted the values but %s did not change (is the dconf service running?)", gnomeSchema)
	}
	return nil
}

func (g *gnomeBackend) ours(ctx context.Context, t target, _ json.RawMessage) (bool, error) {
	cur, err := g.read(ctx)
	if err != nil {
		return false, err
	}
	want := gnomeDesired(t)
	for _, k := range []gkey{{"", "mode"}, {"http", "host"}, {"http", "port"}, {"https", "host"}, {"https", "port"}} {
		if cur[k.String()] != want[k] {
			return false, nil
		}
	}
	return true, nil
}

func (g *gnomeBackend) untouched(ctx context.Context, ts []target, saved json.RawMessage) (bool, error) {
	var st gnomeState
	if err := json.Unmarshal(saved, &st); err != nil {
		return false, fmt.Errorf("decoding the saved GNOME settings: %w", err)
	}
	cur, err := g.read(ctx)
	if err != nil {
		return false, err
	}
	for _, k := range gnomeManaged {
		c := cur[k.String()]
		if sv, ok := st.Values[k.String()]; ok && c == sv.Raw {
			continue
		}
		if !slices.ContainsFunc(ts, func(t target) bool { return c == gnomeDesired(t)[k] }) {
			return false, nil
		}
	}
	return true, nil
}

func (g *gnomeBackend) usesPAC(ctx context.Context, url string) (bool, error) {
	cur, err := g.read(ctx)
	if err != nil {
		return false, err
	}
	return cur[gkey{"", "mode"}.String()] == "'auto'" && cur[gkey{"", "autoconfig-url"}.String()] == gvString(url), nil
}

func (g *gnomeBackend) restore(ctx context.Context, saved json.RawMessage) error {
	var st gnomeState
	if err := json.Unmarshal(saved, &st); err != nil {
		return fmt.Errorf("decoding the saved GNOME settings: %w", err)
	}
	cur, err := g.read(ctx)
	if err != nil {
		return err
	}
	set, known := g.userSet(ctx)
	for _, k := range gnomeManaged {
		sv, ok := st.Values[k.String()]
		if !ok {
			continue
		}
		if sv.Default {
			if !known || set[k.String()] {
				if _, err := g.sys.run(ctx, "gsettings", "reset", k.schema(), k.Key); err != nil {
					return err
				}
			}
			continue
		}
		if cur[k.String()] != sv.Raw || (known && !set[k.String()]) {
			if err := g.set(ctx, k, sv.Raw); err != nil {
				return err
			}
		}
	}
	return nil
}
