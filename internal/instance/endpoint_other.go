// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !unix && !windows

package instance

import (
	"errors"
	"net"
)

var errNoEndpoint = errors.New("no instance endpoint on this system")

func listen(string) (net.Listener, func(string) (string, bool), func(), error) {
	return nil, nil, nil, errNoEndpoint
}

func dial(string) (net.Conn, string, error) { return nil, "", errNoEndpoint }
