// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"context"
	"errors"
	"net"
	"testing"
)

// NoDNS is a Go resolver that fails the test on any question it would send
// (why says when that is wrong: "in Tor mode", "with encrypted DNS on").
// Names in the hosts file are still answered from it, as they never leave
// the machine.
func NoDNS(t testing.TB, why string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("a DNS lookup happened %s (%s %s)", why, network, addr)
		return nil, errors.New("no DNS here")
	}}
}
