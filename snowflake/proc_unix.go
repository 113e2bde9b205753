// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package snowflake

import (
	"os/exec"
	"syscall"
	"time"
)

// stop ends the program's process group: SIGTERM, then SIGKILL after
// stopGrace; it returns once the program was reaped.
func stop(cmd *exec.Cmd, exited <-chan error) {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-exited:
		syscall.Kill(-pgid, syscall.SIGKILL) // anything it left in its group
	case <-t.C:
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
}
