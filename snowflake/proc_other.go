// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !unix

package snowflake

import (
	"os/exec"
	"time"
)

func setProcAttr(cmd *exec.Cmd) {}

func stop(cmd *exec.Cmd, exited <-chan error) {
	cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(stopGrace):
	}
}
