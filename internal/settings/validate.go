// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrOpenProxy is returned by Validate for a non-loopback listen address
// without proxy authentication.
var ErrOpenProxy = errors.New("a non-loopback listen address needs proxy.auth (an open proxy on a network is a hole)")

func checkListen(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("want host:port, e.g. " + DefaultListen)
	}
	if host == "" {
		return errors.New("want an explicit host, e.g. 127.0.0.1 (an empty host listens on every interface)")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("want a port from 0 to 65535")
	}
	return nil
}

// MinProxyPassword is the shortest proxy password accepted: on a network,
// anyone may try passwords (the proxy slows them down, but a short one
// still falls).
const MinProxyPassword = 12

func checkProxyAuth(v string) error {
	if v == "" {
		return nil
	}
	u, p, ok := strings.Cut(v, ":")
	if !ok || u == "" || p == "" {
		return errors.New(`want "user:password" or ""`)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return errors.New("control characters cannot be typed into a browser's password prompt")
		}
	}
	switch {
	case utf8.RuneCountInString(p) < MinProxyPassword:
		return fmt.Errorf("the password needs at least %d characters: anyone on the network can try passwords", MinProxyPassword)
	case strings.Count(p, p[:1]) == len(p):
		return errors.New("the password is one character repeated")
	case strings.EqualFold(p, u):
		return errors.New("the password is the user name")
	}
	return nil
}

// Validate checks the rules that involve several keys, and every field of a
// Settings value built by hand. It returns the first problem found; every
// error it returns matches ErrInvalid.
func (s Settings) Validate() error {
	// Re-parse every textual value: this catches a Settings built in code
	// with a bad field the same way `config set` would.
	for name, v := range s.Map() {
		c := Default()
		if err := registry[name].set(&c, v); err != nil {
			return &KeyError{Key: name, Value: v, Err: err}
		}
	}
	if !IsLoopback(s.Listen) && s.ProxyAuth == "" {
		return &invalidError{ErrOpenProxy}
	}
	if s.DNS.Resolver == DNSCustom && s.DNS.Custom == "" {
		return &invalidError{fmt.Errorf("dns.resolver is custom but dns.custom is empty")}
	}
	if s.Tor.Bridges == BridgesCustom && len(s.Tor.BridgeLines) == 0 {
		return &invalidError{fmt.Errorf("tor.bridges is custom but tor.bridge-lines is empty")}
	}
	return nil
}
