// SPDX-License-Identifier: GPL-3.0-or-later

//go:build windows

package instance

import "net"

// Windows has no Unix sockets we can rely on: the endpoint is a loopback
// port with a token (instance_tcp.go).

func listen(dataDir string) (net.Listener, func(string) (string, bool), func(), error) {
	return listenTCP(dataDir)
}

func dial(dataDir string) (net.Conn, string, error) { return dialTCP(dataDir) }
