// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"polaris/internal/browsers"
)

const firefoxName = "firefox"

// FirefoxBlock is the marked block Enable appends to a profile's user.js.
// network.proxy.type 5 is "use system proxy settings".
const FirefoxBlock = "// BEGIN Polaris: use the system proxy settings. Polaris removes this block\n" +
	"// when it stops being the system proxy.\n" +
	"user_pref(\"network.proxy.type\", 5);\n" +
	"// END Polaris\n"

// firefoxProfiles lists the profiles of the Firefox-family browsers found
// (internal/browsers knows where they are: the XDG, legacy, snap and
// Flatpak folders on Linux, Application Support on macOS, %APPDATA% on
// Windows), each folder once.
func (s *sys) firefoxProfiles() []ffProfile {
	var out []ffProfile
	for _, b := range browsers.List(s.browsers()) {
		if b.Engine != browsers.Gecko {
			continue
		}
		for _, p := range b.Profiles {
			out = append(out, ffProfile{Name: p.Name, Dir: p.Dir})
		}
	}
	return out
}

// ffPrefs are a profile's proxy preferences: prefs.js with user.js on top.
type ffPrefs struct {
	prefs, user map[string]string
}

func readFFPrefs(dir string) ffPrefs {
	read := func(name string) map[string]string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return map[string]string{}
		}
		return parsePrefs(data)
	}
	return ffPrefs{prefs: read("prefs.js"), user: read("user.js")}
}

func (p ffPrefs) get(name string) string {
	if v, ok := p.user[name]; ok {
		return v
	}
	return p.prefs[name]
}

// proxyType is network.proxy.type as Firefox applies it at start: 5 (system)
// when unset.
func (p ffPrefs) proxyType() int {
	v := p.get("network.proxy.type")
	if v == "" {
		return 5
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 5
	}
	return n
}

// pointsAt reports whether the profile reaches t without the system's help:
// a manual proxy to t for HTTP and HTTPS, or the Polaris PAC file.
func (p ffPrefs) pointsAt(t target, pacURL string) bool {
	switch p.proxyType() {
	case 1:
		port := func(k string) int { n, _ := strconv.Atoi(p.get(k)); return n }
		httpOK := strings.EqualFold(p.get("network.proxy.http"), t.Host) && port("network.proxy.http_port") == t.Port
		sslOK := strings.EqualFold(p.get("network.proxy.ssl"), t.Host) && port("network.proxy.ssl_port") == t.Port
		return httpOK && (sslOK || p.get("network.proxy.share_proxy_settings") == "true")
	case 2:
		return pacURL != "" && p.get("network.proxy.autoconfig_url") == pacURL
	}
	return false
}

// ffTypeWords says what a network.proxy.type means, for people.
func ffTypeWords(n int) string {
	switch n {
	case 0, 3:
		return "no proxy"
	case 1:
		return "a manually set proxy"
	case 2:
		return "a proxy configuration URL"
	case 4:
		return "auto-detected proxy settings"
	}
	return "proxy type " + strconv.Itoa(n)
}

// ffProfileState is what Enable saved for one profile it changed.
type ffProfileState struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	// UserJS is user.js before; Written is the whole user.js Enable wrote.
	UserJS  fileState `json:"userJS"`
	Written []byte    `json:"written"`
	// PrefsType is network.proxy.type in prefs.js before ("" if unset).
	// Firefox drops it from prefs.js once user.js sets the default (5), so
	// Disable writes it back when the profile is not running.
	PrefsType string `json:"prefsType,omitempty"`
}

type ffState struct {
	Profiles []ffProfileState `json:"profiles"`
}

// firefoxBackend makes Firefox profiles that have their own proxy settings
// use the system's while Polaris is the system proxy (a user.js block).
// Profiles already pointing at Polaris by themselves (a manual proxy to it,
// or its PAC URL) are left as they are.
type firefoxBackend struct {
	sys    *sys
	t      target
	pacURL string
}

func (f *firefoxBackend) name() string  { return firefoxName }
func (f *firefoxBackend) title() string { return "Firefox" }

// withBlock returns user.js content with FirefoxBlock appended.
func withBlock(orig []byte) []byte {
	out := slices.Clone(orig)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, FirefoxBlock...)
}

// profileState returns the state to save for a profile that needs the
// block, or ok=false when it already uses the system proxy.
func profileState(p ffProfile, t target, pacURL string) (ffProfileState, bool, error) {
	prefs := readFFPrefs(p.Dir)
	if prefs.proxyType() == 5 || prefs.pointsAt(t, pacURL) {
		return ffProfileState{}, false, nil
	}
	fs, err := readFileState(filepath.Join(p.Dir, "user.js"))
	if err != nil {
		return ffProfileState{}, false, fmt.Errorf("Firefox profile %q: %w", p.Name, err)
	}
	return ffProfileState{
		Name: p.Name, Dir: p.Dir, UserJS: fs, Written: withBlock(fs.Content),
		PrefsType: prefs.prefs["network.proxy.type"],
	}, true, nil
}

func (f *firefoxBackend) snapshot(context.Context) (json.RawMessage, error) {
	var st ffState
	for _, p := range f.sys.firefoxProfiles() {
		ps, ok, err := profileState(p, f.t, f.pacURL)
		if err != nil {
			return nil, err
		}
		if ok {
			st.Profiles = append(st.Profiles, ps)
		}
	}
	return json.Marshal(st)
}

// merge keeps the saved state of profiles whose user.js is still the one
// Enable wrote and snapshots the others.
func (f *firefoxBackend) merge(ctx context.Context, _ []target, old json.RawMessage) (json.RawMessage, error) {
	var prev ffState
	if err := json.Unmarshal(old, &prev); err != nil {
		return nil, fmt.Errorf("decoding the saved Firefox settings: %w", err)
	}
	var st ffState
	kept := map[string]bool{}
	for _, ps := range prev.Profiles {
		if ffOurs(ps) {
			st.Profiles = append(st.Profiles, ps)
			kept[ps.Dir] = true
		}
	}
	for _, p := range f.sys.firefoxProfiles() {
		if kept[p.Dir] {
			continue
		}
		ps, ok, err := profileState(p, f.t, f.pacURL)
		if err != nil {
			return nil, err
		}
		if ok {
			st.Profiles = append(st.Profiles, ps)
		}
	}
	return json.Marshal(st)
}

func ffOurs(ps ffProfileState) bool {
	cur, err := readFileState(filepath.Join(ps.Dir, "user.js"))
	return err == nil && cur.Exists && bytes.Equal(cur.Content, ps.Written)
}

func (f *firefoxBackend) apply(_ context.Context, _ target, saved json.RawMessage) error {
	var st ffState
	if err := json.Unmarshal(saved, &st); err != nil {
		return fmt.Errorf("decoding the saved Firefox settings: %w", err)
	}
	for _, ps := range st.Profiles {
		if ffOurs(ps) {
			continue
		}
		mode := ps.UserJS.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := writeFileAtomic(filepath.Join(ps.Dir, "user.js"), ps.Written, mode); err != nil {
			return fmt.Errorf("Firefox profile %q: %w", ps.Name, err)
		}
	}
	return nil
}

// ours is true: restoreParts decides profile by profile.
func (f *firefoxBackend) ours(context.Context, target, json.RawMessage) (bool, error) {
	return true, nil
}

// untouched is true: merge and restoreParts decide profile by profile.
func (f *firefoxBackend) untouched(context.Context, []target, json.RawMessage) (bool, error) {
	return true, nil
}

func (f *firefoxBackend) restore(ctx context.Context, saved json.RawMessage) error {
	_, err := f.restoreParts(ctx, nil, saved)
	return err
}

// restoreParts puts each changed profile's user.js back byte for byte if
// it is still what Enable wrote; if the user edited it since, it removes
// just the Polaris block, or leaves the file alone when the block was
// edited too. It then writes the profile's previous network.proxy.type
// back into prefs.js if Firefox dropped it and is not running.
func (f *firefoxBackend) restoreParts(_ context.Context, _ []target, saved json.RawMessage) ([]string, error) {
	var st ffState
	if err := json.Unmarshal(saved, &st); err != nil {
		return nil, fmt.Errorf("decoding the saved Firefox settings: %w", err)
	}
	var notes []string
	var errs []error
	for _, ps := range st.Profiles {
		path := filepath.Join(ps.Dir, "user.js")
		cur, err := readFileState(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("Firefox profile %q: %w", ps.Name, err))
			continue
		}
		switch {
		case cur.Exists == ps.UserJS.Exists && bytes.Equal(cur.Content, ps.UserJS.Content):
			// Never written (a crash before), or already restored (a
			// crash after): only prefs.js may be left to do.
		case cur.Exists && bytes.Equal(cur.Content, ps.Written):
			err = ps.UserJS.put(path)
		case cur.Exists && bytes.Contains(cur.Content, []byte(FirefoxBlock)):
			err = writeFileAtomic(path, bytes.Replace(cur.Content, []byte(FirefoxBlock), nil, 1), cur.Mode)
			notes = append(notes, fmt.Sprintf("Firefox profile %q: user.js was edited while Polaris was the system proxy; Polaris removed only its own block.", ps.Name))
		default:
			notes = append(notes, fmt.Sprintf("Firefox profile %q: the Polaris block in user.js was changed or removed; Polaris left the file alone.", ps.Name))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("Firefox profile %q: %w", ps.Name, err))
			continue
		}
		if n := restorePrefsType(ps, f.sys.browsers()); n != "" {
			notes = append(notes, n)
		}
	}
	return notes, errors.Join(errs...)
}

// restorePrefsType writes `user_pref("network.proxy.type", N);` back into
// prefs.js when the profile had it before and Firefox has since dropped it.
// It returns a note for the user when it could not.
func restorePrefsType(ps ffProfileState, env browsers.Env) string {
	if ps.PrefsType == "" {
		return ""
	}
	path := filepath.Join(ps.Dir, "prefs.js")
	cur, err := readFileState(path)
	if err != nil || !cur.Exists {
		return ""
	}
	if _, ok := parsePrefs(cur.Content)["network.proxy.type"]; ok {
		return "" // still there, or set again by the user
	}
	n, err := strconv.Atoi(ps.PrefsType)
	if err != nil {
		return ""
	}
	if browsers.Running(env, browsers.Gecko, ps.Dir) {
		return fmt.Sprintf("Firefox profile %q is open, so Polaris could not put back its own proxy setting (%s); it now uses the system proxy settings. Set it again under Settings › Network Settings if you want it.", ps.Name, ffTypeWords(n))
	}
	content := slices.Clone(cur.Content)
	if len(content) > 0 && content[len(content)-1] != '\n' {
		content = append(content, '\n')
	}
	content = fmt.Appendf(content, "user_pref(\"network.proxy.type\", %d);\n", n)
	if err := writeFileAtomic(path, content, cur.Mode); err != nil {
		return fmt.Sprintf("Firefox profile %q: could not put back its own proxy setting (%s): %v", ps.Name, ffTypeWords(n), err)
	}
	return ""
}

// warnings lists the profiles that do not go through Polaris: their own
// proxy settings, or a user.js change that waits for a Firefox restart.
func (f *firefoxBackend) warnings(t target, pacURL string) []string {
	var out []string
	for _, p := range f.sys.firefoxProfiles() {
		prefs := readFFPrefs(p.Dir)
		typ := prefs.proxyType()
		if typ == 5 {
			if v, ok := prefs.prefs["network.proxy.type"]; ok && v != "5" && prefs.user["network.proxy.type"] == "5" {
				out = append(out, fmt.Sprintf("Firefox profile %q uses the system proxy after Firefox restarts.", p.Name))
			}
			continue
		}
		if !t.zero() && prefs.pointsAt(t, pacURL) {
			continue
		}
		out = append(out, fmt.Sprintf("Firefox profile %q uses its own proxy settings (%s), so it does not go through Polaris. Choose \"Use system proxy settings\" in its Network Settings, or turn on system.firefox.", p.Name, ffTypeWords(typ)))
	}
	return out
}
