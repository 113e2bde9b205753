//go:build !unix && !windows

package cli

func isTerminalFd(uintptr) bool { return false }
