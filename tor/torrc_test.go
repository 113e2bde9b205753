// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var debianPrograms = map[string]string{"obfs4": "/usr/bin/obfs4proxy", "snowflake": "/usr/bin/snowflake-client"}

var lyrebirdPrograms = map[string]string{"obfs4": "/usr/bin/lyrebird", "webtunnel": "/usr/bin/lyrebird", "snowflake": "/usr/bin/snowflake-client"}

// TestTorrc checks the generated torrc exactly, against testdata/torrc.
func TestTorrc(t *testing.T) {
	tests := []struct {
		name string
		in   torrcInput
	}{
		{"plain", torrcInput{}},
		{"obfs4", torrcInput{Bridges: settings.BridgesObfs4, Programs: debianPrograms}},
		{"snowflake", torrcInput{Bridges: settings.BridgesSnowflake, Programs: debianPrograms}},
		{"custom", torrcInput{Bridges: settings.BridgesCustom, Programs: lyrebirdPrograms, BridgeLines: []string{
			"Bridge obfs4 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567 cert=AAAA iat-mode=0",
			"",
			"  meek_lite   192.0.2.2:80 0123456789ABCDEF0123456789ABCDEF01234567 url=https://meek.example/ front=cdn.example ",
			"192.0.2.3:9001 0123456789ABCDEF0123456789ABCDEF01234567",
			"webtunnel [2001:db8::1]:443 0123456789ABCDEF0123456789ABCDEF01234567 url=https://wt.example/path ver=0.0.1",
			"OBFS4 192.0.2.5:443 0123456789ABCDEF0123456789ABCDEF01234567 cert=BBBB iat-mode=1",
			"snowflake 192.0.2.4:80 0123456789ABCDEF0123456789ABCDEF01234567 url=https://broker.example/",
		}}},
		{"vanilla", torrcInput{Bridges: settings.BridgesCustom, BridgeLines: []string{"192.0.2.3:9001", "bridge 192.0.2.7:443 0123456789ABCDEF0123456789ABCDEF01234567"}}},
		{"exits", torrcInput{ExitCountries: []string{"de", "NL", "{de}", " ch "}}},
		{"extra", torrcInput{ExtraPath: "/etc/polaris/extra.torrc", Extra: "NumEntryGuards 2\nCircuitBuildTimeout 30"}},
		{"everything", torrcInput{Bridges: settings.BridgesObfs4, Programs: debianPrograms, ExitCountries: []string{"is"},
			ExtraPath: "/x.torrc", Extra: "# nothing\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildTorrc(tt.in)
			if err != nil {
				t.Fatalf("buildTorrc: %v", err)
			}
			golden := filepath.Join("testdata", "torrc", tt.name+".torrc")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestTorrc -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("buildTorrc(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestTorrcAccepted checks that tor accepts every golden torrc
// (tor --verify-config; nothing connects).
func TestTorrcAccepted(t *testing.T) {
	bin, err := exec.LookPath("tor")
	if err != nil {
		t.Skip("tor is not installed (Debian package tor)")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "torrc", "*.torrc"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := exec.Command(bin, "--verify-config", "--defaults-torrc", os.DevNull, "-f", f,
				"--DataDirectory", t.TempDir()).CombinedOutput()
			if err != nil {
				t.Errorf("tor --verify-config -f %s: %v\n%s", f, err, out)
			}
		})
	}
}

// TestTorrcErrors checks that bad settings are refused in plain words and
// that nothing can smuggle extra torrc lines in.
func TestTorrcErrors(t *testing.T) {
	tests := []struct {
		name string
		in   torrcInput
		want string
	}{
		{"no custom lines", torrcInput{Bridges: settings.BridgesCustom, BridgeLines: []string{"", "  "}}, "no bridge lines"},
		{"unknown transport", torrcInput{Bridges: settings.BridgesCustom, BridgeLines: []string{"fte 192.0.2.1:80"}}, `bridge line 1: transport "fte" is not supported`},
		{"no address", torrcInput{Bridges: settings.BridgesCustom, BridgeLines: []string{"obfs4"}}, "no address after the transport"},
		{"host name", torrcInput{Bridges: settings.BridgesCustom, BridgeLines: []string{"obfs4 bridge.example:443"}}, "not an IP address with a port"},
		{"line break", torrcInput{Bridges: settings.BridgesCustom, Programs: debianPrograms,
			BridgeLines: []string{"obfs4 192.0.2.1:443 cert=x\nExitNodes {us}"}}, "control character or line break"},
		{"placeholder", torrcInput{Bridges: settings.BridgesCustom, Programs: debianPrograms,
			BridgeLines: []string{"Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=x iat-mode=0"}}, `"<IP" is not an IP address`},
		{"junk after fingerprint", torrcInput{Bridges: settings.BridgesCustom, Programs: debianPrograms,
			BridgeLines: []string{"obfs4 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567 <FINGERPRINT> cert=x"}}, `"<FINGERPRINT>" is neither a 40-digit fingerprint nor an argument`},
		{"short fingerprint", torrcInput{Bridges: settings.BridgesCustom, Programs: debianPrograms,
			BridgeLines: []string{"obfs4 192.0.2.1:443 0123456789ABCDEF cert=x"}}, "neither a 40-digit fingerprint"},
		{"args on a plain bridge", torrcInput{Bridges: settings.BridgesCustom,
			BridgeLines: []string{"192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567 cert=x"}}, "unexpected \"cert=x\" after the address"},
		{"obfs4proxy missing", torrcInput{Bridges: settings.BridgesObfs4}, "install the obfs4proxy package"},
		{"snowflake missing", torrcInput{Bridges: settings.BridgesSnowflake, Programs: map[string]string{"obfs4": "/usr/bin/obfs4proxy"}}, "install the snowflake-client package"},
		{"webtunnel without lyrebird", torrcInput{Bridges: settings.BridgesCustom, Programs: debianPrograms,
			BridgeLines: []string{"webtunnel 192.0.2.1:443 url=https://x/"}}, "need the lyrebird program"},
		{"space in program path", torrcInput{Bridges: settings.BridgesObfs4, Programs: map[string]string{"obfs4": "/opt/my tools/obfs4proxy"}}, "contains a space"},
		{"bad country", torrcInput{ExitCountries: []string{"de", "germany"}}, `exit country "germany" is not a two-letter`},
		{"bad mode", torrcInput{Bridges: "meek"}, "unknown bridge mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildTorrc(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("buildTorrc(%+v) = %q, %v; want an error mentioning %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestBuiltinBridges checks that every built-in bridge line is well formed.
func TestBuiltinBridges(t *testing.T) {
	for _, lines := range [][]string{builtinObfs4, builtinSnowflake} {
		for _, l := range lines {
			br, err := parseBridge(l)
			if err != nil || br.text != l {
				t.Errorf("parseBridge(%q) = %+v, %v; want it unchanged", l, br, err)
			}
			f := strings.Fields(l)
			if len(f) < 4 || len(f[2]) != 40 || strings.Trim(f[2], "0123456789ABCDEF") != "" {
				t.Errorf("bridge %q: want transport, address, 40-hex fingerprint and arguments", l)
			}
		}
	}
}

// FuzzParseBridge feeds pasted bridge lines (untrusted input) to the torrc
// builder: a line is either refused or becomes exactly one Bridge line
// with no control characters.
func FuzzParseBridge(f *testing.F) {
	f.Add("obfs4 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567 cert=AAAA iat-mode=0")
	f.Add("Bridge 192.0.2.3:9001")
	f.Add("snowflake [2001:db8::1]:80 url=https://x/\nExitNodes {us}")
	f.Add("webtunnel 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567 url=https://x/ ver=0.0.1\r")
	f.Fuzz(func(t *testing.T, line string) {
		got, err := buildTorrc(torrcInput{Bridges: settings.BridgesCustom, BridgeLines: []string{line}, Programs: lyrebirdPrograms})
		if err != nil {
			return
		}
		extra := strings.TrimPrefix(got, torrcHeader)
		var bridges int
		for _, l := range strings.Split(strings.TrimSuffix(extra, "\n"), "\n") {
			if strings.HasPrefix(l, "Bridge ") {
				bridges++
			}
			if strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
				t.Fatalf("torrc line %q holds a control character", l)
			}
		}
		if bridges != 1 {
			t.Fatalf("bridge line %q gave %d Bridge lines:\n%s", line, bridges, got)
		}
	})
}
