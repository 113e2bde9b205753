// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package cli

import "golang.org/x/sys/unix"

const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
