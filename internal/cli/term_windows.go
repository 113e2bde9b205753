// SPDX-License-Identifier: GPL-3.0-or-later

//go:build windows

package cli

import "golang.org/x/sys/windows"

func isTerminalFd(fd uintptr) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
}
