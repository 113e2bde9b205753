// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcessesWith lists the live (non-zombie) processes whose command line
// contains s, e.g. the tor processes working on a data dir. It reads /proc
// (Linux); where there is none it finds none.
func ProcessesWith(s string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(b), s) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil && strings.Contains(string(stat), ") Z ") {
			continue // zombie
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
