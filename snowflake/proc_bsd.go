// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix && !linux

package snowflake

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the program in its own process group, stopped whole.
// These systems have no Pdeathsig: if Polaris is killed outright, the
// program outlives it.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
