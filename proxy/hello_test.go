// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	utls "github.com/refraction-networking/utls"
	"polaris/internal/testenv"
)

// readHello reads a ClientHello recorded from a real browser
// (testdata/clienthello/NAME.hex: the TLS records it sent first, as hex).
func readHello(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "clienthello", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// fragment splits the handshake message in one record into records of at
// most n bytes each.
func fragment(rec []byte, n int) []byte {
	var out []byte
	body := rec[5:]
	for len(body) > 0 {
		k := min(n, len(body))
		out = append(out, rec[0], rec[1], rec[2], byte(k>>8), byte(k))
		out = append(out, body[:k]...)
		body = body[k:]
	}
	return out
}

func extTypes(h *clientHello) []uint16 {
	var out []uint16
	for _, e := range h.extensions {
		if !isGREASE(e.typ) {
			out = append(out, e.typ)
		}
	}
	return out
}

func TestParseClientHello(t *testing.T) {
	chromium := readHello(t, "chromium-156")
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"chromium", chromium, false},
		{"chromium, other connection", readHello(t, "chromium-156-second"), false},
		{"firefox", readHello(t, "firefox-esr-153"), false},
		{"fragmented in 100-byte records", fragment(chromium, 100), false},
		{"fragmented in 1-byte records", fragment(chromium, 1), false},
		{"followed by other bytes", append(append([]byte{}, chromium...), 23, 3, 3, 0, 1, 0), false},
		{"truncated record", chromium[:len(chromium)-1], true},
		{"truncated header", chromium[:3], true},
		{"empty", nil, true},
		{"not handshake", append([]byte{23}, chromium[1:]...), true},
		{"not a ClientHello", func() []byte { b := append([]byte{}, chromium...); b[5] = 2; return b }(), true},
		{"SSL 2 record", []byte{0x80, 0x2e, 0x01, 0x03, 0x01}, true},
		{"zero-length record", []byte{22, 3, 1, 0, 0}, true},
		{"message longer than its records", fragment(chromium, 1)[:600], true},
		{"extension twice", func() []byte {
			h, _ := parseClientHello(chromium)
			h.extensions = append(h.extensions, h.extensions[len(h.extensions)-1])
			return marshalHello(h)
		}(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseClientHello(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseClientHello = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(h.cipherSuites) < 3 || len(h.extensions) < 10 {
				t.Errorf("parsed %d suites and %d extensions, want a browser's", len(h.cipherSuites), len(h.extensions))
			}
			if got := h.alpn(); !cmp.Equal(got, []string{"h2", "http/1.1"}) {
				t.Errorf("alpn() = %q, want h2, http/1.1", got)
			}
		})
	}
	// Parsing keeps everything, in order: a parsed hello written again
	// parses the same.
	h, err := parseClientHello(chromium)
	if err != nil {
		t.Fatal(err)
	}
	again, err := parseClientHello(marshalHello(h))
	if diff := cmp.Diff(h, again, cmp.AllowUnexported(clientHello{}, helloExt{})); err != nil || diff != "" {
		t.Errorf("parse, marshal, parse: %v; differs (-first +second):\n%s", err, diff)
	}
}

// marshalHello writes h as one handshake record (random and session ID
// zero), for tests.
func marshalHello(h *clientHello) []byte {
	var body []byte
	body = append(body, byte(h.version>>8), byte(h.version))
	body = append(body, make([]byte, 32)...)
	body = append(body, 32)
	body = append(body, make([]byte, 32)...)
	body = append(body, byte(len(h.cipherSuites)*2>>8), byte(len(h.cipherSuites)*2))
	for _, s := range h.cipherSuites {
		body = append(body, byte(s>>8), byte(s))
	}
	body = append(body, byte(len(h.compression)))
	body = append(body, h.compression...)
	var ext []byte
	for _, e := range h.extensions {
		ext = append(ext, byte(e.typ>>8), byte(e.typ), byte(len(e.data)>>8), byte(len(e.data)))
		ext = append(ext, e.data...)
	}
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	msg := append([]byte{handshakeClientHello, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{recordHandshake, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// The JA4 of the tests (testenv.JA4), checked on the published parts of a
// Chrome fingerprint and on the recorded browsers.
func TestJA4(t *testing.T) {
	ja4 := func(name string) string {
		s, err := testenv.JA4(readHello(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Chromium's 15 cipher suites hash to JA4's published "8daaf6152771".
	chromium, second, firefox := ja4("chromium-156"), ja4("chromium-156-second"), ja4("firefox-esr-153")
	if !strings.HasPrefix(chromium, "t13d1517h2_8daaf6152771_") {
		t.Errorf("JA4(chromium) = %s, want t13d1517h2_8daaf6152771_...", chromium)
	}
	// Chromium orders its extensions anew for every connection: JA4 does
	// not change.
	if second != chromium {
		t.Errorf("JA4 of Chromium's second connection = %s, want %s", second, chromium)
	}
	if !strings.HasPrefix(firefox, "t13d1617h2_") || firefox == chromium {
		t.Errorf("JA4(firefox) = %s", firefox)
	}
}

func FuzzParseClientHello(f *testing.F) {
	for _, name := range []string{"chromium-156", "chromium-156-second", "firefox-esr-153"} {
		raw := readHello(f, name)
		f.Add(raw)
		f.Add(fragment(raw, 300))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseClientHello(b)
		if err != nil {
			return
		}
		h.alpn()
		testenv.JA4(b)
		// Whatever parses must give a spec or a clear error, never a panic.
		if spec, err := mirrorSpec(h, "example.com", false); err == nil && spec == nil {
			t.Fatal("mirrorSpec returned neither a spec nor an error")
		}
	})
}

func BenchmarkParseClientHello(b *testing.B) {
	raw := readHello(b, "chromium-156")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseClientHello(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// The uTLS hello built from a browser's hello is the browser's hello: the
// same suites, the same extensions in the same order with the same data,
// GREASE where the browser had GREASE, the same JA4. Only what is new on
// every connection differs (key shares, GREASE values, the ECH GREASE
// payload).
func TestMirrorSpec(t *testing.T) {
	for _, name := range []string{"chromium-156", "chromium-156-second", "firefox-esr-153"} {
		t.Run(name, func(t *testing.T) {
			browser, err := parseClientHello(readHello(t, name))
			if err != nil {
				t.Fatal(err)
			}
			mirrored, raw := buildMirrored(t, browser, "hello.test", false)
			got, _ := testenv.JA4(raw)
			if want, _ := testenv.JA4(readHello(t, name)); got != want {
				t.Errorf("JA4 of the mirrored hello = %s, want the browser's %s", got, want)
			}
			if len(mirrored.cipherSuites) != len(browser.cipherSuites) {
				t.Fatalf("suites %04x, want %04x", mirrored.cipherSuites, browser.cipherSuites)
			}
			for i, s := range browser.cipherSuites {
				if m := mirrored.cipherSuites[i]; m != s && !(isGREASE(m) && isGREASE(s)) {
					t.Errorf("suite %d = %04x, want %04x", i, m, s)
				}
			}
			if len(mirrored.extensions) != len(browser.extensions) {
				t.Fatalf("extensions %04x, want %04x", allTypes(mirrored), allTypes(browser))
			}
			for i, e := range browser.extensions {
				m := mirrored.extensions[i]
				switch {
				case isGREASE(e.typ):
					if !isGREASE(m.typ) || len(m.data) != len(e.data) {
						t.Errorf("extension %d: %04x (%d bytes), want GREASE (%d bytes)", i, m.typ, len(m.data), len(e.data))
					}
				case m.typ != e.typ:
					t.Errorf("extension %d = %04x, want %04x", i, m.typ, e.typ)
				case e.typ == extKeyShare, e.typ == extECH:
					if len(m.data) != len(e.data) {
						t.Errorf("extension %04x: %d bytes, want %d (new keys, same groups)", e.typ, len(m.data), len(e.data))
					}
				case !greaseEqual(m.data, e.data):
					t.Errorf("extension %04x = %x, want %x", e.typ, m.data, e.data)
				}
			}
			if ks, _ := browser.ext(extKeyShare); len(ks) > 0 {
				mk, _ := mirrored.ext(extKeyShare)
				if hex.EncodeToString(mk) == hex.EncodeToString(ks) {
					t.Error("the key shares are the browser's own: they must be new")
				}
			}
			// For a WebSocket, HTTP/1.1 only.
			ws, _ := buildMirrored(t, browser, "hello.test", true)
			if got := ws.alpn(); !cmp.Equal(got, []string{"http/1.1"}) {
				t.Errorf("ALPN for HTTP/1.1 only = %q", got)
			}
			// An IP address gets no SNI, as from the browser.
			if ip, _ := buildMirrored(t, browser, "192.0.2.1", false); hasExt(ip, extServerName) {
				t.Error("SNI sent for an IP address")
			}
		})
	}
}

func allTypes(h *clientHello) []uint16 {
	var out []uint16
	for _, e := range h.extensions {
		out = append(out, e.typ)
	}
	return out
}

// greaseEqual compares extension data, taking any GREASE value in a
// 2-byte slot for any other (supported groups and versions carry them).
func greaseEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] == b[i] {
			continue
		}
		if i+1 < len(a) && isGREASE(uint16(a[i])<<8|uint16(a[i+1])) && isGREASE(uint16(b[i])<<8|uint16(b[i+1])) {
			i++
			continue
		}
		if i > 0 && isGREASE(uint16(a[i-1])<<8|uint16(a[i])) && isGREASE(uint16(b[i-1])<<8|uint16(b[i])) {
			continue
		}
		return false
	}
	return true
}

func hasExt(h *clientHello, typ uint16) bool {
	_, ok := h.ext(typ)
	return ok
}

// buildMirrored builds the uTLS hello mirroring h and parses it back; raw
// is its record.
func buildMirrored(t *testing.T, h *clientHello, serverName string, h1 bool) (*clientHello, []byte) {
	t.Helper()
	spec, err := mirrorSpec(h, serverName, h1)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	uc := utls.UClient(c1, &utls.Config{ServerName: serverName, OmitEmptyPsk: true}, utls.HelloCustom)
	if err := uc.ApplyPreset(spec); err != nil {
		t.Fatal(err)
	}
	if err := uc.BuildHandshakeState(); err != nil {
		t.Fatal(err)
	}
	raw := uc.HandshakeState.Hello.Raw
	rec := append([]byte{recordHandshake, 3, 1, byte(len(raw) >> 8), byte(len(raw))}, raw...)
	m, err := parseClientHello(rec)
	if err != nil {
		t.Fatalf("parsing the mirrored hello: %v", err)
	}
	return m, rec
}
