// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"polaris/internal/settings"
)

// torrcInput is everything Polaris's torrc depends on, resolved by the
// caller, so that buildTorrc is a pure function.
type torrcInput struct {
	Bridges       settings.BridgeMode
	BridgeLines   []string // used when Bridges is BridgesCustom
	ExitCountries []string
	// Programs maps a transport program key of transportPrograms ("obfs4",
	// "webtunnel", "snowflake") to the executable found for it; a missing
	// key means the program is not installed.
	Programs map[string]string
	// GeoIP loads tor's GeoIP database at start (needed by ExitNodes);
	// otherwise it is loaded on first use (see instance.geoip).
	GeoIP bool
	// ExtraPath and Extra are the user's extra torrc file and its contents.
	ExtraPath string
	Extra     string
}

// torrcHeader is the fixed part of Polaris's torrc. Options that change per
// run (DataDirectory, ControlPort, DisableNetwork, __OwningControllerProcess)
// are given on the command line instead.
const torrcHeader = `# Polaris's Tor client. Polaris rewrites this file at every start:
# put your own lines in the extra torrc file named in Polaris's settings.
SocksPort 127.0.0.1:auto IsolateSOCKSAuth ExtendedErrors
ClientOnly 1
AvoidDiskWrites 1
Log notice stdout
`

// noGeoIP defers loading the GeoIP database, which costs about 0.3 s of
// CPU at every start, until circuit countries are asked for.
const noGeoIP = `# GeoIP is loaded when first needed (RESETCONF GeoIPFile GeoIPv6File)
GeoIPFile ""
GeoIPv6File ""
`

// buildTorrc returns the contents of Polaris's torrc. Its errors are in
// plain words, for the user.
func buildTorrc(in torrcInput) (string, error) {
	var b strings.Builder
	b.WriteString(torrcHeader)
	bridges, err := bridgeLines(in.Bridges, in.BridgeLines)
	if err != nil {
		return "", err
	}
	if len(bridges) > 0 {
		plugins, err := pluginLines(bridges, in.Programs)
		if err != nil {
			return "", err
		}
		b.WriteString("UseBridges 1\n")
		for _, p := range plugins {
			b.WriteString(p + "\n")
		}
		for _, l := range bridges {
			b.WriteString("Bridge " + l.text + "\n")
		}
	}
	exits, err := exitNodes(in.ExitCountries)
	if err != nil {
		return "", err
	}
	if exits != "" {
		b.WriteString("ExitNodes " + exits + "\nStrictNodes 1\n")
	}
	if !in.GeoIP && exits == "" {
		b.WriteString(noGeoIP)
	}
	if in.ExtraPath != "" {
		fmt.Fprintf(&b, "# Extra lines from %s\n", in.ExtraPath)
		b.WriteString(in.Extra)
		if in.Extra != "" && !strings.HasSuffix(in.Extra, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

// bridge is one checked bridge line: text without the "Bridge" keyword and
// transport "" for a vanilla bridge.
type bridge struct {
	text      string
	transport string
}

func bridgeLines(mode settings.BridgeMode, custom []string) ([]bridge, error) {
	var lines []string
	switch mode {
	case "", settings.BridgesNone:
		return nil, nil
	case settings.BridgesObfs4:
		lines = builtinObfs4
	case settings.BridgesSnowflake:
		lines = builtinSnowflake
	case settings.BridgesCustom:
		lines = custom
	default:
		return nil, fmt.Errorf("unknown bridge mode %q (want none, obfs4, snowflake or custom)", mode)
	}
	var out []bridge
	for i, l := range lines {
		br, err := parseBridge(l)
		if err != nil {
			return nil, fmt.Errorf("bridge line %d: %w", i+1, err)
		}
		if br.text != "" {
			out = append(out, br)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bridges are on but there are no bridge lines: paste at least one bridge line, or choose the built-in bridges")
	}
	return out, nil
}

// parseBridge checks one bridge line as a user pastes it ("Bridge obfs4
// 192.0.2.1:443 FINGERPRINT cert=... iat-mode=0", keyword optional). An empty
// line gives a zero bridge and no error.
func parseBridge(line string) (bridge, error) {
	if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		return bridge{}, errors.New("contains a control character or line break")
	}
	f := strings.Fields(line)
	if len(f) > 0 && strings.EqualFold(f[0], "bridge") {
		f = f[1:]
	}
	if len(f) == 0 {
		return bridge{}, nil
	}
	br := bridge{}
	rest := f[1:] // after the address
	if !strings.Contains(f[0], ":") {
		br.transport = strings.ToLower(f[0])
		f[0] = br.transport
		if _, ok := transportPrograms[br.transport]; !ok {
			return bridge{}, fmt.Errorf("transport %q is not supported (Polaris runs obfs4, meek_lite, webtunnel, snowflake and plain bridges)", f[0])
		}
		if len(f) < 2 {
			return bridge{}, errors.New("no address after the transport name")
		}
		rest = f[2:]
	}
	addr := f[len(f)-len(rest)-1]
	if _, err := netip.ParseAddrPort(addr); err != nil {
		return bridge{}, fmt.Errorf("%q is not an IP address with a port, such as 192.0.2.1:443", addr)
	}
	if len(rest) > 0 && isFingerprint(rest[0]) {
		rest = rest[1:]
	}
	for _, arg := range rest {
		if br.transport == "" {
			return bridge{}, fmt.Errorf("unexpected %q after the address and fingerprint of a plain bridge", arg)
		}
		if k, _, ok := strings.Cut(arg, "="); !ok || k == "" {
			return bridge{}, fmt.Errorf("%q is neither a 40-digit fingerprint nor an argument such as cert=...", arg)
		}
	}
	br.text = strings.Join(f, " ")
	return br, nil
}

// isFingerprint reports whether s is a relay fingerprint: 40 hex digits.
func isFingerprint(s string) bool {
	return len(s) == 40 && strings.Trim(s, "0123456789ABCDEFabcdef") == ""
}

// pluginLines returns the ClientTransportPlugin lines the bridges need, one
// per program, in order of first use.
func pluginLines(bridges []bridge, programs map[string]string) ([]string, error) {
	var paths []string
	uses := map[string][]string{} // program path -> transports
	for _, br := range bridges {
		if br.transport == "" {
			continue
		}
		key := transportPrograms[br.transport]
		path := programs[key]
		if path == "" {
			return nil, missingProgram(key)
		}
		if strings.ContainsAny(path, " \t") {
			return nil, fmt.Errorf("tor cannot run the bridge program %q: its path contains a space", path)
		}
		if !slices.Contains(paths, path) {
			paths = append(paths, path)
		}
		if !slices.Contains(uses[path], br.transport) {
			uses[path] = append(uses[path], br.transport)
		}
	}
	var out []string
	for _, path := range paths {
		ts := uses[path]
		slices.Sort(ts)
		out = append(out, fmt.Sprintf("ClientTransportPlugin %s exec %s", strings.Join(ts, ","), path))
	}
	return out, nil
}

func missingProgram(key string) error {
	switch key {
	case "obfs4":
		return errors.New("obfs4 bridges need the obfs4proxy (or lyrebird) program, which is not installed: install the obfs4proxy package")
	case "webtunnel":
		return errors.New("webtunnel bridges need the lyrebird program, which is not installed")
	case "snowflake":
		return errors.New("snowflake needs the snowflake-client program, which is not installed: install the snowflake-client package")
	}
	return fmt.Errorf("the bridge program for %q is not installed", key)
}

// exitNodes returns the ExitNodes value for the countries ("{de},{nl}"), or
// "" for none.
func exitNodes(countries []string) (string, error) {
	var out []string
	for _, c := range countries {
		cc := strings.ToLower(strings.Trim(strings.TrimSpace(c), "{}"))
		if len(cc) != 2 || strings.Trim(cc, "abcdefghijklmnopqrstuvwxyz") != "" {
			return "", fmt.Errorf("exit country %q is not a two-letter country code such as de", c)
		}
		if cc = "{" + cc + "}"; !slices.Contains(out, cc) {
			out = append(out, cc)
		}
	}
	return strings.Join(out, ","), nil
}
