// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"net/textproto"
	"strings"
)

// hopByHop are the header fields that describe one connection, never the
// message (RFC 9110 §7.6.1), plus the proxy-only ones of RFC 9110 §11.7.
var hopByHop = []string{
	"Connection",
	"Proxy-Connection", // non-standard, sent by some clients
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Transfer-Encoding",
	"Upgrade",
}

// removeHopByHop deletes hop-by-hop fields from h: the fixed set above and
// every field named in Connection. For a WebSocket handshake it keeps
// "Connection: Upgrade" and "Upgrade: websocket", which the next hop needs.
// "TE: trailers" is kept: it states a property of the message chain.
func removeHopByHop(h http.Header, websocket bool) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
			if name == "" || (websocket && name == "Upgrade") {
				continue
			}
			h.Del(name)
		}
	}
	te := h.Get("Te")
	for _, name := range hopByHop {
		if websocket && (name == "Connection" || name == "Upgrade") {
			continue
		}
		h.Del(name)
	}
	if strings.EqualFold(strings.TrimSpace(te), "trailers") {
		h.Set("Te", "trailers")
	}
	if websocket {
		h.Set("Connection", "Upgrade")
	}
}

// isWebSocket reports whether h asks to upgrade the connection to WebSocket.
func isWebSocket(h http.Header) bool {
	return headerHasToken(h, "Connection", "upgrade") && headerHasToken(h, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
