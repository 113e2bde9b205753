// SPDX-License-Identifier: GPL-3.0-or-later

//go:build windows

package app

import "net"

// Windows has no Unix sockets we can rely on: the endpoint is a loopback
// port with a token (instance_tcp.go).

func listenInstance(dataDir string) (net.Listener, func(string) (string, bool), func(), error) {
	return listenInstanceTCP(dataDir)
}

func dialInstance(dataDir string) (net.Conn, string, error) { return dialInstanceTCP(dataDir) }
