// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDesktopQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/bin/polaris", "/usr/bin/polaris"},
		{"--minimized", "--minimized"},
		{"/opt/My Apps/polaris", `"/opt/My Apps/polaris"`},
		{"100%", "100%%"},
		{`a"b`, `"a\\"b"`},
		{`a\b`, `"a\\\\b"`},
		{"$HOME", `"\\$HOME"`},
		{"", `""`},
	}
	for _, tc := range tests {
		got, err := desktopQuote(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("desktopQuote(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := desktopQuote("a\nb"); err == nil {
		t.Error("desktopQuote with a newline succeeded")
	}
}

func TestAutostartLinux(t *testing.T) {
	env, home := userEnv(t)
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env}, platform{goos: "linux"})
	path := filepath.Join(home, ".config", "autostart", DesktopFile)
	if on, err := m.AutostartEnabled(); on || err != nil {
		t.Fatalf("AutostartEnabled() before = %v, %v", on, err)
	}
	if err := m.SetAutostart(true, "relative/polaris", nil); err == nil {
		t.Error("SetAutostart with a relative path succeeded")
	}
	if err := m.SetAutostart(true, "/opt/Polaris App/polaris", []string{"--minimized"}); err != nil {
		t.Fatal(err)
	}
	want := "[Desktop Entry]\nType=Application\nName=Polaris\nComment=Start Polaris, the privacy proxy, at login\n" +
		"Exec=\"/opt/Polaris App/polaris\" --minimized\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
	if d := cmp.Diff(want, readFile(t, path)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
	if on, err := m.AutostartEnabled(); !on || err != nil {
		t.Errorf("AutostartEnabled() = %v, %v; want true", on, err)
	}
	st, _ := m.Status(t.Context())
	if !st.Autostart {
		t.Error("Status().Autostart = false, want true")
	}
	// The desktop's own "don't start" switch is respected.
	writeFile(t, path, want+"Hidden=true\n")
	if on, _ := m.AutostartEnabled(); on {
		t.Error("AutostartEnabled() with Hidden=true = true")
	}
	if err := m.SetAutostart(false, "", nil); err != nil {
		t.Fatal(err)
	}
	if exists(path) {
		t.Error("SetAutostart(false) left the file")
	}
	if err := m.SetAutostart(false, "", nil); err != nil {
		t.Errorf("SetAutostart(false) twice: %v", err)
	}
}

func TestAutostartMac(t *testing.T) {
	env, home := userEnv(t)
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env}, platform{goos: "darwin"})
	if err := m.SetAutostart(true, "/Applications/Polaris.app/Contents/MacOS/polaris", []string{"--minimized", "a<&>b"}); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>invalid.polaris.Polaris</string>
	<key>ProgramArguments</key>
	<array>
		<string>/Applications/Polaris.app/Contents/MacOS/polaris</string>
		<string>--minimized</string>
		<string>a&lt;&amp;&gt;b</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
	path := filepath.Join(home, "Library", "LaunchAgents", "invalid.polaris.Polaris.plist")
	if d := cmp.Diff(want, readFile(t, path)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
	if on, err := m.AutostartEnabled(); !on || err != nil {
		t.Errorf("AutostartEnabled() = %v, %v", on, err)
	}
	if err := m.SetAutostart(false, "", nil); err != nil || exists(path) {
		t.Errorf("SetAutostart(false): %v, file left: %v", err, exists(path))
	}
}

func TestWindowsCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, `"C:\P\polaris.exe"`},
		{[]string{"--minimized"}, `"C:\P\polaris.exe" --minimized`},
		{[]string{""}, `"C:\P\polaris.exe" ""`},
		{[]string{`a b`}, `"C:\P\polaris.exe" "a b"`},
		{[]string{`C:\dir with space\`}, `"C:\P\polaris.exe" "C:\dir with space\\"`},
		{[]string{`say "hi"`}, `"C:\P\polaris.exe" "say \"hi\""`},
		{[]string{`a\\b`}, `"C:\P\polaris.exe" a\\b`},
	}
	for _, tc := range tests {
		if got := WindowsCommandLine(`C:\P\polaris.exe`, tc.args); got != tc.want {
			t.Errorf("WindowsCommandLine(%q) = %s, want %s", tc.args, got, tc.want)
		}
	}
}
