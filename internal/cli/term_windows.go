// SPDX-License-Identifier: GPL-3.0-or-later

//go:build windows

package cli

import "golang.org/x/sys/windows"

func isTerminalFd(fd uintptr) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
}

// noEcho turns the console's echo off and returns what puts it back.
func noEcho(fd uintptr) (restore func(), err error) {
	var old uint32
	if err := windows.GetConsoleMode(windows.Handle(fd), &old); err != nil {
		return nil, err
	}
	mode := (old &^ windows.ENABLE_ECHO_INPUT) | windows.ENABLE_LINE_INPUT | windows.ENABLE_PROCESSED_INPUT
	if err := windows.SetConsoleMode(windows.Handle(fd), mode); err != nil {
		return nil, err
	}
	return func() { windows.SetConsoleMode(windows.Handle(fd), old) }, nil
}
