// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pacparserScript evaluates a PAC file with pacparser (Debian
// python3-pacparser: a real PAC engine, SpiderMonkey with the standard PAC
// functions) for each [url, host] in a JSON file, one result per line.
const pacparserScript = `
import json, sys, pacparser
pacparser.init()
pacparser.parse_pac_file(sys.argv[1])
for url, host in json.load(open(sys.argv[2])):
    print(pacparser.find_proxy(url, host))
pacparser.cleanup()
`

// evalPAC returns FindProxyForURL's result for each case.
func evalPAC(t *testing.T, pac string, cases [][2]string) []string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("Debian's python3 is not installed: apt-get install python3 python3-pacparser")
	}
	dir := t.TempDir()
	pacFile, casesFile, script := filepath.Join(dir, "proxy.pac"), filepath.Join(dir, "cases.json"), filepath.Join(dir, "eval.py")
	data, _ := json.Marshal(cases)
	writeFile(t, pacFile, pac)
	writeFile(t, casesFile, string(data))
	writeFile(t, script, pacparserScript)
	out, err := exec.Command(py, script, pacFile, casesFile).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No module named 'pacparser'") {
			t.Fatalf("pacparser is not installed: apt-get install python3-pacparser")
		}
		t.Fatalf("evaluating the PAC file: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("pacparser printed %d results for %d cases:\n%s", len(lines), len(cases), out)
	}
	return lines
}

func TestPACEvaluated(t *testing.T) {
	const proxy = "PROXY 127.0.0.1:8228"
	tests := []struct {
		url, host string
		want      string // "proxy" or "DIRECT"
	}{
		{"http://example.com/", "example.com", "proxy"},
		{"https://www.example.com:8443/a?b", "www.example.com", "proxy"},
		{"http://polaris.invalid/proxy.pac", "polaris.invalid", "proxy"},
		// Loopback: this computer.
		{"http://localhost:3000/", "localhost", "DIRECT"},
		{"http://LOCALHOST/", "LOCALHOST", "DIRECT"},
		{"http://localhost./", "localhost.", "DIRECT"},
		{"http://app.localhost:8080/", "app.localhost", "DIRECT"},
		{"http://127.0.0.1:8080/", "127.0.0.1", "DIRECT"},
		{"http://127.1.2.3/", "127.1.2.3", "DIRECT"},
		{"http://[::1]:8080/", "::1", "DIRECT"},
		{"http://[::1]:8080/", "[::1]", "DIRECT"},
		{"http://[0:0:0:0:0:0:0:1]/", "0:0:0:0:0:0:0:1", "DIRECT"},
		{"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", "DIRECT"},
		// The LAN and plain names go through Polaris, which decides.
		{"http://192.168.1.1/", "192.168.1.1", "proxy"},
		{"http://10.0.0.1/", "10.0.0.1", "proxy"},
		{"http://169.254.169.254/", "169.254.169.254", "proxy"},
		{"http://router/", "router", "proxy"},
		{"http://printer.local/", "printer.local", "proxy"},
		{"http://[fe80::1]/", "fe80::1", "proxy"},
		// Look-alikes of loopback are not loopback.
		{"http://localhost.example.com/", "localhost.example.com", "proxy"},
		{"http://evil-localhost/", "evil-localhost", "proxy"},
		{"http://127.0.0.1.nip.io/", "127.0.0.1.nip.io", "proxy"},
		{"http://1127.0.0.1/", "1127.0.0.1", "proxy"},
		{"http://[::11]/", "::11", "proxy"},
	}
	cases := make([][2]string, len(tests))
	for i, tc := range tests {
		cases[i] = [2]string{tc.url, tc.host}
	}
	for _, failOpen := range []bool{false, true} {
		pac := PAC("127.0.0.1:8228", failOpen)
		got := evalPAC(t, pac, cases)
		for i, tc := range tests {
			want := tc.want
			if want == "proxy" {
				want = proxy
				if failOpen {
					want += "; DIRECT"
				}
			}
			if got[i] != want {
				t.Errorf("failOpen=%v: FindProxyForURL(%q, %q) = %q, want %q", failOpen, tc.url, tc.host, got[i], want)
			}
		}
	}
}

func TestPACContent(t *testing.T) {
	closed := PAC("127.0.0.1:8228", false)
	if !strings.Contains(closed, `return "PROXY 127.0.0.1:8228";`) || strings.Contains(closed, `DIRECT";`+"\n}") {
		t.Errorf("fail-closed PAC does not end in the bare proxy:\n%s", closed)
	}
	if open := PAC("127.0.0.1:8228", true); !strings.Contains(open, `return "PROXY 127.0.0.1:8228; DIRECT";`) {
		t.Errorf("fail-open PAC lacks the DIRECT fallback:\n%s", open)
	}
	// No name resolution anywhere: a PAC lookup leaks outside Tor.
	if re := regexp.MustCompile(`isInNet|dnsResolve|isResolvable|myIpAddress|dnsDomainLevels`); re.MatchString(closed) {
		t.Errorf("PAC uses a DNS function: %s", re.FindString(closed))
	}
	// The address is a JS string literal, whatever it holds.
	if got := PAC(`127.0.0.1:1"; alert(1); "`, false); !strings.Contains(got, `"PROXY 127.0.0.1:1\"; alert(1); \""`) {
		t.Errorf("PAC did not quote a hostile address:\n%s", got)
	}
	ipv6 := evalPAC(t, PAC("[::1]:8228", false), [][2]string{{"http://example.com/", "example.com"}})
	if ipv6[0] != "PROXY [::1]:8228" {
		t.Errorf("PAC([::1]:8228) = %q", ipv6[0])
	}
}
