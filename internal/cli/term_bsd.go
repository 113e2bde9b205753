// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix && !linux

package cli

import "golang.org/x/sys/unix"

const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
)
