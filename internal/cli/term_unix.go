// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package cli

import "golang.org/x/sys/unix"

func isTerminalFd(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	return err == nil
}
