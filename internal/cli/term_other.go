// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !unix && !windows

package cli

import "errors"

func isTerminalFd(uintptr) bool { return false }

func noEcho(uintptr) (func(), error) {
	return nil, errors.New("cannot turn off the terminal's echo here")
}
