// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !unix && !windows

package cli

func isTerminalFd(uintptr) bool { return false }
