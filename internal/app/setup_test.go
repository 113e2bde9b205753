// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"strings"
	"testing"

	"polaris/internal/ca"
)

// The window's install report names no command to run by hand (issue 16:
// a `sudo …` line in the "Certificate installed" dialog).
func TestWindowReportHasNoCommandLine(t *testing.T) {
	rep := ca.Report{Changes: []ca.Change{
		{Store: "Firefox profile 'default'", Action: ca.Added},
		{Store: "Chromium (NSS)", Action: ca.Skipped, Detail: "needs the NSS certutil tool; install it (Debian/Ubuntu: sudo apt install libnss3-tools; Fedora: sudo dnf install nss-tools; Arch: sudo pacman -S nss) and install again"},
		{Store: "system store", Location: "/usr/local/share/ca-certificates/polaris.crt", Action: ca.NeedsRoot,
			Commands: []ca.Command{{Name: "sudo", Args: []string{"install", "-D", "a", "b"}}, {Name: "sudo", Args: []string{"update-ca-certificates"}}}},
	}}
	if !strings.Contains(rep.String(), "sudo") {
		t.Fatal("the test's report has no command line to begin with")
	}
	got := windowReport(rep)
	if strings.Contains(got, "sudo") || strings.Contains(got, "run:") {
		t.Errorf("window report = %q, want no command line", got)
	}
	if !strings.Contains(got, "NSS certificate tool") {
		t.Errorf("window report = %q, want it to say the NSS tool is missing, in words", got)
	}
	if !strings.Contains(got, "administrator's password") {
		t.Errorf("window report = %q, want it to say an administrator is needed", got)
	}
}
