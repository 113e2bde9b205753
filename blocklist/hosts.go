// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"fmt"
	"strings"
)

// localNames are the entries every hosts file carries for the machine
// itself; they are not blocking rules.
var localNames = map[string]bool{
	"localhost": true, "localhost.localdomain": true, "local": true, "broadcasthost": true,
	"0.0.0.0": true, "ip6-localhost": true, "ip6-loopback": true, "ip6-localnet": true,
	"ip6-mcastprefix": true, "ip6-allnodes": true, "ip6-allrouters": true, "ip6-allhosts": true,
}

// blockingAddresses are the addresses hosts files point blocked names at.
var blockingAddresses = map[string]bool{
	"0.0.0.0": true, "127.0.0.1": true, "::": true, "::1": true, "0": true, "::0": true,
	"0:0:0:0:0:0:0:0": true, "0:0:0:0:0:0:0:1": true,
}

// parseHosts reads a hosts file or a plain list of domains (one per line,
// '#' comments). Each name blocks the host and its subdomains, like
// "||host^" (which is also how uBlock Origin reads hosts files).
func parseHosts(l *List, text string) {
	eachLine(text, func(n int, line string) {
		l.Stats.Lines++
		s := strings.TrimSpace(stripComment(line))
		if s == "" || strings.HasPrefix(s, "!") {
			return
		}
		fields := strings.Fields(s)
		if len(fields) >= 2 && isHostsAddress(fields[0]) {
			if !blockingAddresses[fields[0]] {
				l.Stats.Ignored++ // a name pointed at a real address: not a block
				return
			}
			for _, h := range fields[1:] {
				l.addHost(n, strings.TrimSpace(line), h)
			}
			return
		}
		if len(fields) != 1 {
			l.Stats.Bad++
			l.addError(n, strings.TrimSpace(line), errors.New("want a host name, or an address and host names"))
			return
		}
		l.addHost(n, strings.TrimSpace(line), fields[0])
	})
}

// addHost adds a blocking rule for one host name from a hosts or domain
// list.
func (l *List) addHost(n int, text, h string) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	h = strings.TrimPrefix(strings.TrimPrefix(h, "||"), "*.")
	h = strings.TrimSuffix(h, "^")
	if localNames[h] {
		return
	}
	h, err := punycode(h)
	if err != nil {
		l.Stats.Bad++
		l.addError(n, text, err)
		return
	}
	if !isHostLabels(h) {
		l.Stats.Bad++
		l.addError(n, text, fmt.Errorf("%q is not a host name", h))
		return
	}
	f := hostFilter(h, fParty1|fParty3)
	f.flags |= fHostsEntry
	l.addFilter(f, text)
	l.Stats.Rules++
}

// hostFilter is the rule "||host^" with the given party flags (host is a
// valid host name, so no longer than maxHost).
func hostFilter(host string, party uint32) filter {
	return filter{
		pat:     []byte(host),
		hostLen: uint8(len(host)),
		flags:   party | fAnchorHost | fHostSplit | fHostOnly,
		types:   maskAllTypes | TypeDocument.bit(),
	}
}
