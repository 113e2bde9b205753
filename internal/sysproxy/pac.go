// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"encoding/json"
	"strings"
)

// PACContentType is the MIME type to serve the PAC file with.
const PACContentType = "application/x-ns-proxy-autoconfig"

// PAC returns the proxy auto-config file that sends browsers to the proxy
// at proxyAddr (host:port as clients reach it, e.g. "127.0.0.1:8228").
//
// Only loopback destinations go DIRECT: "localhost", names under
// ".localhost" (RFC 6761), 127.0.0.0/8 and ::1. They are this computer: no
// proxy, and no Tor exit, can reach them for the browser, and browsers
// bypass them for every other kind of proxy setting too. Everything else,
// private LAN addresses and plain host names included, goes to Polaris,
// which decides per its own mode (in Tor mode a page cannot reach into the
// LAN; Polaris's reserved host polaris.invalid must reach Polaris anyway).
// The file never resolves a name (no isInNet, dnsResolve, isResolvable):
// a PAC lookup would leak the host name to the local DNS server even in
// Tor mode.
//
// failOpen false (the default setting) fails closed: when Polaris is not
// running, pages do not load rather than bypass it. failOpen true appends
// "; DIRECT" so browsers go direct instead.
func PAC(proxyAddr string, failOpen bool) string {
	result := "PROXY " + proxyAddr
	if failOpen {
		result += "; DIRECT"
	}
	lit, _ := json.Marshal(result) // a JS string literal; cannot fail
	var b strings.Builder
	b.WriteString("// Polaris proxy auto-config.\n")
	b.WriteString("// Loopback (this computer) goes direct; everything else goes through Polaris.\n")
	if failOpen {
		b.WriteString("// Fail open: when Polaris is not running, browsers connect directly.\n")
	} else {
		b.WriteString("// Fail closed: when Polaris is not running, nothing is sent around it.\n")
	}
	b.WriteString("// No name is resolved here, so no DNS query leaves this file.\n")
	b.WriteString(`function FindProxyForURL(url, host) {
  var h = String(host).toLowerCase();
  if (h.charAt(0) == "[" && h.charAt(h.length - 1) == "]") {
    h = h.substring(1, h.length - 1);
  }
  if (h.charAt(h.length - 1) == ".") {
    h = h.substring(0, h.length - 1);
  }
  if (h == "localhost" || /\.localhost$/.test(h) ||
      /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
      /^(::ffff:)127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
      h == "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(h)) {
    return "DIRECT";
  }
  return `)
	b.Write(lit)
	b.WriteString(";\n}\n")
	return b.String()
}
