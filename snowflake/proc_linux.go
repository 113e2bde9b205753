// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package snowflake

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the program in its own process group (stopped whole)
// and has the kernel kill it if Polaris dies (Pdeathsig).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
