// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package tor

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts tor in its own process group, so that a Ctrl-C in
// Polaris's terminal reaches Polaris only; Polaris then stops tor itself.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
