// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

import (
	"bytes"
	stunbin "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// The STUN server and the browsers' network: a veth pair in the test's
// namespace (browsers gather no candidates on loopback).
const (
	webrtcHostIP = "10.87.0.1"
	stunIP       = "10.87.0.2"
	stunAddr     = stunIP + ":3478"
)

// iceJS collects a page's ICE candidates (a data channel, the STUN server
// above) until gathering completes, as a page that wants the visitor's
// addresses does.
const iceJS = `(async () => {
	const pc = new RTCPeerConnection({iceServers: [{urls: "stun:` + stunAddr + `"}]});
	pc.createDataChannel("x");
	const found = [];
	pc.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) found.push(e.candidate.candidate); };
	await pc.setLocalDescription(await pc.createOffer());
	await new Promise((done) => {
		const t = setTimeout(done, 8000);
		pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") { clearTimeout(t); done(); } };
	});
	pc.close();
	return found;
})()`

// leaks returns the host and server-reflexive candidates.
func leaks(cands []string) []string {
	var out []string
	for _, c := range cands {
		if strings.Contains(c, " typ host") || strings.Contains(c, " typ srflx") {
			out = append(out, c)
		}
	}
	return out
}

// startSTUN answers STUN Binding requests (RFC 5389) on addr (UDP) with
// the sender's address in XOR-MAPPED-ADDRESS, and counts them.
func startSTUN(t *testing.T, addr string) *atomic.Int64 {
	t.Helper()
	conn, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var n atomic.Int64
	go func() {
		buf := make([]byte, 1500)
		for {
			size, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := stunAnswer(buf[:size], from); resp != nil {
				n.Add(1)
				conn.WriteTo(resp, from)
			}
		}
	}()
	return &n
}

const stunCookie = 0x2112A442

// stunAnswer is the Binding success response to a Binding request, nil for
// anything else.
func stunAnswer(req []byte, from net.Addr) []byte {
	ua, ok := from.(*net.UDPAddr)
	if !ok || len(req) < 20 || stunbin.BigEndian.Uint16(req[0:2]) != 0x0001 ||
		stunbin.BigEndian.Uint32(req[4:8]) != stunCookie || int(stunbin.BigEndian.Uint16(req[2:4])) != len(req)-20 {
		return nil
	}
	ip := ua.IP.To4()
	if ip == nil {
		return nil
	}
	attr := make([]byte, 12)
	stunbin.BigEndian.PutUint16(attr[0:2], 0x0020) // XOR-MAPPED-ADDRESS
	stunbin.BigEndian.PutUint16(attr[2:4], 8)
	attr[5] = 0x01 // IPv4
	stunbin.BigEndian.PutUint16(attr[6:8], uint16(ua.Port)^uint16(stunCookie>>16))
	stunbin.BigEndian.PutUint32(attr[8:12], stunbin.BigEndian.Uint32(ip)^stunCookie)
	resp := make([]byte, 20, 32)
	stunbin.BigEndian.PutUint16(resp[0:2], 0x0101)
	stunbin.BigEndian.PutUint16(resp[2:4], uint16(len(attr)))
	copy(resp[4:20], req[4:20]) // cookie and transaction ID
	return append(resp, attr...)
}

func FuzzSTUNAnswer(f *testing.F) {
	req := make([]byte, 20)
	stunbin.BigEndian.PutUint16(req, 1)
	stunbin.BigEndian.PutUint32(req[4:], stunCookie)
	f.Add(req)
	f.Add([]byte("not stun"))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := stunAnswer(b, &net.UDPAddr{IP: net.IPv4(10, 87, 0, 1), Port: 5000})
		if resp != nil && (len(resp) != 32 || !bytes.Equal(resp[8:20], b[8:20])) {
			t.Fatalf("answer %x to %x", resp, b)
		}
	})
}

// webrtcNetwork makes the veth pair the browsers gather candidates on,
// with the default route (removed with the pair at the test's end).
func webrtcNetwork(t *testing.T) {
	t.Helper()
	for _, args := range [][]string{
		{"link", "add", "pwrtc0", "type", "veth", "peer", "name", "pwrtc1"},
		{"addr", "add", webrtcHostIP + "/24", "dev", "pwrtc0"},
		{"addr", "add", stunIP + "/24", "dev", "pwrtc1"},
		{"link", "set", "pwrtc0", "up"},
		{"link", "set", "pwrtc1", "up"},
		// Without permissions, browsers gather on the default route's
		// interface only.
		{"route", "add", "default", "via", stunIP, "dev", "pwrtc0"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("no network for WebRTC in this namespace (ip %s: %v: %s)", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", "pwrtc0").Run() })
}

// In Tor mode, Firefox and Chromium behind Polaris give a page collecting
// ICE candidates no host or server-reflexive candidate (and the STUN
// server hears nothing from them), while the same browsers without
// Polaris's settings do; after Tor is turned off their settings are back as
// they were.
func TestWebRTCKeptBehindTor(t *testing.T) {
	n := testenv.StartTornet(t)
	ca := sharedBrowserCA(t)
	webrtcNetwork(t)
	stun := startSTUN(t, stunAddr)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!DOCTYPE html><title>ICE</title><p>ICE candidates")
	}))
	defer origin.Close()

	// Control: the package's browsers, without Polaris's settings, leak.
	for _, name := range []string{"chromium", "firefox"} {
		p := openPage(t, name, "")
		p.Navigate(origin.URL + "/control")
		var cands []string
		p.Eval(iceJS, &cands)
		if len(leaks(cands)) == 0 {
			t.Fatalf("%s without Polaris: candidates %q; the test cannot see a leak", name, cands)
		}
		t.Logf("%s without Polaris: %q", name, cands)
	}
	stunBefore := stun.Load()

	// Polaris's HOME: a Firefox profile and a Chromium user data folder
	// it finds as a user's.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	ffHome := t.TempDir()
	profile := filepath.Join(ffHome, "profile")
	if err := writeFirefoxProfile(profile, ca); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(home, ".mozilla", "firefox", "profiles.ini"), fmt.Sprintf("[Profile0]\nName=e2e\nIsRelative=0\nPath=%s\n", profile))
	crHome, err := os.MkdirTemp("", "polaris-e2e-webrtc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(crHome) })
	if err := ca.trustInNSS(filepath.Join(crHome, ".pki", "nssdb")); err != nil {
		t.Fatal(err)
	}
	crPrefs := filepath.Join(crHome, "profile", "Default", "Preferences")
	mustWrite(t, crPrefs, `{"browser":{"check_default_browser":false}}`)
	mustWrite(t, filepath.Join(crHome, "profile", "Local State"), `{}`)
	if err := os.MkdirAll(filepath.Join(home, ".config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(crHome, "profile"), filepath.Join(home, ".config", "chromium")); err != nil {
		t.Fatal(err)
	}
	userJS := filepath.Join(profile, "user.js")
	beforeJS := readBytes(t, userJS)

	dir := t.TempDir()
	for _, kv := range [][2]string{{"tor", "on"}, {"tor.torrc", n.Torrc}} {
		mustPolaris(t, dir, "config", "set", kv[0], kv[1])
	}
	r := startPolaris(t, dir)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if bytes.Contains(readBytes(t, userJS), []byte("// BEGIN Polaris WebRTC")) && bytes.Contains(readBytes(t, crPrefs), []byte(`"ip_handling_policy":"disable_non_proxied_udp"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Polaris did not set the profiles: user.js %q, Preferences %s; stderr %s", readBytes(t, userJS), readBytes(t, crPrefs), r.stderr)
		}
	}
	c := r.client()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		resp, err := c.Get(origin.URL + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("Tor did not connect")
		}
	}

	ff, err := launchFirefox(ffHome, profile)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := launchChromium(crHome)
	if err != nil {
		ff.close()
		t.Fatal(err)
	}
	for _, b := range []browser{ff, cr} {
		tb, err := b.open(t, r.addr)
		if err != nil {
			t.Fatalf("%s: %v", b.Name(), err)
		}
		p := &page{t: t, tab: tb, browser: b.Name()}
		p.Navigate(origin.URL + "/through-tor")
		var cands []string
		p.Eval(iceJS, &cands)
		if l := leaks(cands); len(l) > 0 {
			p.Errorf("%s behind Polaris in Tor mode: host or server-reflexive candidates %q", b.Name(), l)
		}
		t.Logf("%s behind Polaris in Tor mode: candidates %q", b.Name(), cands)
		tb.close()
	}
	if got := stun.Load(); got != stunBefore {
		t.Errorf("the STUN server got %d requests from the browsers behind Polaris, want none", got-stunBefore)
	}

	// Tor off: Firefox's user.js is back byte for byte at once; Chromium's
	// setting once it is closed (Polaris never edits an open profile).
	mustPolaris(t, dir, "config", "set", "tor", "off")
	for deadline := time.Now().Add(10 * time.Second); !bytes.Equal(readBytes(t, userJS), beforeJS); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("user.js after Tor off = %q, want %q", readBytes(t, userJS), beforeJS)
		}
	}
	ff.close()
	cr.cancel()
	cr.alloc()
	mustPolaris(t, dir, "config", "set", "tor.english-language", "on") // a change: Polaris looks again
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var prefs struct {
			WebRTC map[string]json.RawMessage `json:"webrtc"`
		}
		json.Unmarshal(readBytes(t, crPrefs), &prefs)
		if _, set := prefs.WebRTC["ip_handling_policy"]; !set {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Chromium's Preferences after Tor off and the browser closed: %s", readBytes(t, crPrefs))
		}
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
