// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !unix

package tor

import "os/exec"

// setProcAttr does nothing on this system.
func setProcAttr(cmd *exec.Cmd) {}
