// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"polaris/internal/browsers"
)

// WebRTC: a page can learn the computer's addresses over WebRTC, whose
// STUN/UDP traffic goes around any HTTP proxy (and so around Tor). While
// Tor is on (and, if the user asks, without it) Polaris sets each browser
// profile's own settings so that WebRTC uses the proxy only:
//
//   - Firefox-family: a marked block in the profile's user.js (read at every
//     start; written even while the browser is open, which then needs a
//     restart): ICE through the proxy only, no host candidates, the default
//     address only, and no DNS prefetching or native HTTPS-record lookups
//     (Firefox would otherwise ask the system's resolver for names itself).
//   - Chromium-family: webrtc.ip_handling_policy = disable_non_proxied_udp in
//     the profile's Preferences, only while the browser is closed (it
//     rewrites the file when it exits).
//
// As for the system proxy, everything is journalled before the first file
// is touched, and restored exactly (byte for byte when the file is still
// what Polaris wrote) when Tor is turned off, on quit and, after a crash, at
// the next start (RestoreWebRTC).

// WebRTCBlock is the marked block written into a Firefox profile's user.js.
const WebRTCBlock = "// BEGIN Polaris WebRTC: WebRTC only through the proxy. Polaris removes this block\n" +
	"// when Tor is turned off.\n" +
	"user_pref(\"media.peerconnection.ice.proxy_only\", true);\n" +
	"user_pref(\"media.peerconnection.ice.proxy_only_if_behind_proxy\", true);\n" +
	"user_pref(\"media.peerconnection.ice.default_address_only\", true);\n" +
	"user_pref(\"media.peerconnection.ice.no_host\", true);\n" +
	"user_pref(\"network.dns.disablePrefetch\", true);\n" +
	"user_pref(\"network.dns.disablePrefetchFromHTTPS\", true);\n" +
	"user_pref(\"network.dns.native_https_query\", false);\n" +
	"// END Polaris WebRTC\n"

// ChromiumWebRTCPolicy is the webrtc.ip_handling_policy Polaris sets.
const ChromiumWebRTCPolicy = "disable_non_proxied_udp"

// WebRTCConfig configures SetWebRTC and RestoreWebRTC.
type WebRTCConfig struct {
	// Journal stores what was changed. Required.
	Journal Journal
	// Browsers says where to look for profiles; the zero value is this
	// machine and this user.
	Browsers browsers.Env
}

// WebRTCReport says what SetWebRTC did, in words for the window.
type WebRTCReport struct {
	// Changed lists the profiles whose settings keep WebRTC behind the
	// proxy ("Firefox: default-release").
	Changed []string
	// NotChanged lists the profiles Polaris could not change, with why
	// ("Chromium: Default is open; close it and Polaris will change it").
	NotChanged []string
	// Restart lists open Firefox profiles whose new settings apply once the
	// browser is restarted.
	Restart []string
}

// webrtcProfile is what was saved for one profile changed.
type webrtcProfile struct {
	Engine  browsers.Engine `json:"engine"`
	Browser string          `json:"browser"`
	Name    string          `json:"name"`
	File    string          `json:"file"` // user.js or Preferences
	Before  fileState       `json:"before"`
	Written []byte          `json:"written"`
	// Policy is webrtc.ip_handling_policy before ("" unset), Blink only.
	Policy string `json:"policy,omitempty"`
}

type webrtcState struct {
	Version  int             `json:"v"`
	Profiles []webrtcProfile `json:"profiles"`
}

// webrtcMu serialises SetWebRTC and RestoreWebRTC in this process.
var webrtcMu sync.Mutex

func loadWebRTC(ctx context.Context, j Journal) (webrtcState, bool, error) {
	data, ok, err := j.Load(ctx)
	if err != nil || !ok {
		return webrtcState{Version: 1}, false, err
	}
	var st webrtcState
	if err := json.Unmarshal(data, &st); err != nil {
		return webrtcState{Version: 1}, false, fmt.Errorf("reading the browser settings journal: %w", err)
	}
	return st, true, nil
}

func saveWebRTC(ctx context.Context, j Journal, st webrtcState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := j.Save(ctx, data); err != nil {
		return fmt.Errorf("writing the browser settings journal: %w", err)
	}
	return nil
}

// SetWebRTC keeps WebRTC behind the proxy in every browser profile found
// (and not changed already). Each profile's state is journalled before its
// file is written. A profile that cannot be changed is named in the report;
// errors are for the journal and files that could not be written.
func SetWebRTC(ctx context.Context, cfg WebRTCConfig) (WebRTCReport, error) {
	if cfg.Journal == nil {
		return WebRTCReport{}, ErrNoJournal
	}
	webrtcMu.Lock()
	defer webrtcMu.Unlock()
	st, _, err := loadWebRTC(ctx, cfg.Journal)
	if err != nil {
		return WebRTCReport{}, err
	}
	done := map[string]bool{}
	for _, p := range st.Profiles {
		done[p.File] = true
	}
	var rep WebRTCReport
	var errs []error
	for _, b := range browsers.List(cfg.Browsers) {
		for _, p := range b.Profiles {
			who := b.Name + ": " + p.Name
			var wp webrtcProfile
			var ok bool
			var err error
			switch b.Engine {
			case browsers.Gecko:
				wp, ok, err = geckoWebRTC(b, p)
				if ok && p.Running {
					rep.Restart = append(rep.Restart, who)
				}
			case browsers.Blink:
				if b.Running || p.Running {
					if !webrtcSet(p.Prefs) {
						rep.NotChanged = append(rep.NotChanged, who+" is open, so Polaris cannot change its WebRTC setting: close the browser")
					}
					continue
				}
				wp, ok, err = blinkWebRTC(b, p)
			default:
				continue
			}
			if err != nil {
				rep.NotChanged = append(rep.NotChanged, fmt.Sprintf("%s: %v", who, err))
				continue
			}
			if done[wp.File] {
				rep.Changed = append(rep.Changed, who)
				continue
			}
			if !ok {
				continue // already safe by the user's own setting
			}
			st.Profiles = append(st.Profiles, wp)
			if err := saveWebRTC(ctx, cfg.Journal, st); err != nil {
				return rep, err // nothing written for this profile
			}
			mode := wp.Before.Mode
			if mode == 0 {
				mode = 0o644
			}
			if err := writeFileAtomic(wp.File, wp.Written, mode); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", who, err))
				continue
			}
			done[wp.File] = true
			rep.Changed = append(rep.Changed, who)
		}
	}
	return rep, errors.Join(errs...)
}

// webrtcSet reports whether a Blink Preferences file already says
// disable_non_proxied_udp (or stricter).
func webrtcSet(path string) bool {
	fs, err := readFileState(path)
	if err != nil || !fs.Exists {
		return false
	}
	pol, _ := blinkPolicy(fs.Content)
	return pol == ChromiumWebRTCPolicy || pol == "disable_non_proxied_udp_and_tcp"
}

// geckoWebRTC returns the change for a Firefox profile: user.js with the
// block appended.
func geckoWebRTC(b browsers.Browser, p browsers.Profile) (webrtcProfile, bool, error) {
	path := filepath.Join(p.Dir, "user.js")
	fs, err := readFileState(path)
	if err != nil {
		return webrtcProfile{}, false, err
	}
	if bytes.Contains(fs.Content, []byte(WebRTCBlock)) {
		return webrtcProfile{File: path}, false, nil
	}
	out := slices.Clone(fs.Content)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, WebRTCBlock...)
	return webrtcProfile{Engine: browsers.Gecko, Browser: b.Name, Name: p.Name, File: path, Before: fs, Written: out}, true, nil
}

// blinkWebRTC returns the change for a closed Chromium profile: its
// Preferences with webrtc.ip_handling_policy set.
func blinkWebRTC(b browsers.Browser, p browsers.Profile) (webrtcProfile, bool, error) {
	path := p.Prefs
	if path == "" {
		path = filepath.Join(p.Dir, "Preferences")
	}
	fs, err := readFileState(path)
	if err != nil {
		return webrtcProfile{}, false, err
	}
	if !fs.Exists {
		return webrtcProfile{}, false, nil // never started: nothing to keep, and Chromium would start fresh
	}
	pol, err := blinkPolicy(fs.Content)
	if err != nil {
		return webrtcProfile{}, false, fmt.Errorf("its Preferences cannot be read (%v), so Polaris leaves them alone", err)
	}
	if pol == ChromiumWebRTCPolicy || pol == "disable_non_proxied_udp_and_tcp" {
		return webrtcProfile{File: path}, false, nil
	}
	out, err := setBlinkPolicy(fs.Content, ChromiumWebRTCPolicy)
	if err != nil {
		return webrtcProfile{}, false, err
	}
	return webrtcProfile{Engine: browsers.Blink, Browser: b.Name, Name: p.Name, File: path, Before: fs, Written: out, Policy: pol}, true, nil
}

// blinkPolicy reads webrtc.ip_handling_policy from a Preferences file.
func blinkPolicy(prefs []byte) (string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(prefs, &doc); err != nil {
		return "", err
	}
	var w map[string]json.RawMessage
	if raw, ok := doc["webrtc"]; ok {
		if err := json.Unmarshal(raw, &w); err != nil {
			return "", fmt.Errorf("webrtc: %w", err)
		}
	}
	var pol string
	if raw, ok := w["ip_handling_policy"]; ok {
		if err := json.Unmarshal(raw, &pol); err != nil {
			return "", fmt.Errorf("webrtc.ip_handling_policy: %w", err)
		}
	}
	return pol, nil
}

// setBlinkPolicy returns prefs with webrtc.ip_handling_policy set to pol
// ("" removes it); every other value is kept as it was (as JSON values).
func setBlinkPolicy(prefs []byte, pol string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(prefs, &doc); err != nil {
		return nil, err
	}
	w := map[string]json.RawMessage{}
	if raw, ok := doc["webrtc"]; ok {
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, err
		}
	}
	if pol == "" {
		delete(w, "ip_handling_policy")
	} else {
		v, _ := json.Marshal(pol)
		w["ip_handling_policy"] = v
	}
	if len(w) == 0 {
		delete(doc, "webrtc")
	} else {
		raw, err := json.Marshal(w)
		if err != nil {
			return nil, err
		}
		doc["webrtc"] = raw
	}
	return json.Marshal(doc)
}

// RestoreWebRTC puts back every profile the journal holds: byte for byte
// when the file is still what Polaris wrote; otherwise (the user or the
// browser changed it since) only Polaris's own change is taken out, and an
// open Chromium profile is left for later (it stays in the journal). It
// clears the journal once everything is restored, and returns notes for
// the user. It does nothing when the journal is empty.
func RestoreWebRTC(ctx context.Context, cfg WebRTCConfig) (notes []string, restored bool, err error) {
	if cfg.Journal == nil {
		return nil, false, ErrNoJournal
	}
	webrtcMu.Lock()
	defer webrtcMu.Unlock()
	st, ok, err := loadWebRTC(ctx, cfg.Journal)
	if err != nil || !ok {
		return nil, false, err
	}
	var left []webrtcProfile
	var errs []error
	for _, wp := range st.Profiles {
		who := wp.Browser + ": " + wp.Name
		note, keep, err := restoreWebRTCProfile(cfg.Browsers, wp)
		if note != "" {
			notes = append(notes, who+": "+note)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", who, err))
			keep = true
		}
		if keep {
			left = append(left, wp)
		}
	}
	if len(left) > 0 {
		st.Profiles = left
		if err := saveWebRTC(ctx, cfg.Journal, st); err != nil {
			errs = append(errs, err)
		}
		return notes, true, errors.Join(errs...)
	}
	if err := cfg.Journal.Clear(ctx); err != nil {
		errs = append(errs, fmt.Errorf("clearing the browser settings journal: %w", err))
	}
	return notes, true, errors.Join(errs...)
}

// restoreWebRTCProfile restores one profile; keep is true when it must be
// tried again later.
func restoreWebRTCProfile(env browsers.Env, wp webrtcProfile) (note string, keep bool, err error) {
	cur, err := readFileState(wp.File)
	if err != nil {
		return "", true, err
	}
	switch {
	case cur.Exists == wp.Before.Exists && bytes.Equal(cur.Content, wp.Before.Content):
		return "", false, nil // never written (a crash before), or already restored
	case cur.Exists && bytes.Equal(cur.Content, wp.Written):
		if wp.Engine == browsers.Blink && browsers.Running(env, browsers.Blink, filepath.Dir(filepath.Dir(wp.File))) {
			return "the browser is open: Polaris puts its WebRTC setting back once it is closed", true, nil
		}
		return "", false, wp.Before.put(wp.File)
	}
	switch wp.Engine {
	case browsers.Gecko:
		if cur.Exists && bytes.Contains(cur.Content, []byte(WebRTCBlock)) {
			return "user.js was edited meanwhile; Polaris removed only its own block", false,
				writeFileAtomic(wp.File, bytes.Replace(cur.Content, []byte(WebRTCBlock), nil, 1), cur.Mode)
		}
		return "the Polaris block in user.js was changed or removed; Polaris left the file alone", false, nil
	case browsers.Blink:
		if !cur.Exists {
			return "", false, nil
		}
		if browsers.Running(env, browsers.Blink, filepath.Dir(filepath.Dir(wp.File))) {
			return "the browser is open: Polaris puts its WebRTC setting back once it is closed", true, nil
		}
		pol, err := blinkPolicy(cur.Content)
		if err != nil || pol != ChromiumWebRTCPolicy {
			return "its WebRTC setting was changed meanwhile; Polaris left it alone", false, nil
		}
		out, err := setBlinkPolicy(cur.Content, wp.Policy)
		if err != nil {
			return "", true, err
		}
		return "the browser changed its settings file meanwhile; Polaris put back only its WebRTC setting", false, writeFileAtomic(wp.File, out, cur.Mode)
	}
	return "", false, nil
}
