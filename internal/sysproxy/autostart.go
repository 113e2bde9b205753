// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	// AppID is Polaris's reverse-DNS identifier (under the reserved .invalid
	// domain, like its reserved host name): the LaunchAgent label.
	AppID = "invalid.polaris.Polaris"
	// DesktopFile is the XDG autostart entry's file name.
	DesktopFile = "polaris.desktop"
	// WinRunKey is the HKEY_CURRENT_USER key of programs started at login;
	// WinRunValue is Polaris's value in it.
	WinRunKey   = `Software\Microsoft\Windows\CurrentVersion\Run`
	WinRunValue = "Polaris"
)

// DesktopEntry returns the XDG autostart .desktop file that runs exe with
// args at login. It fails for arguments that cannot be written in an Exec
// line (control characters).
func DesktopEntry(exe string, args []string) (string, error) {
	var parts []string
	for _, a := range append([]string{exe}, args...) {
		q, err := desktopQuote(a)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
	}
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=Polaris\n")
	b.WriteString("Comment=Start Polaris, the privacy proxy, at login\n")
	b.WriteString("Exec=" + strings.Join(parts, " ") + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return b.String(), nil
}

// desktopQuote quotes one Exec argument as the Desktop Entry Specification
// says: "%" doubled; an argument with a reserved character in double quotes
// with ", `, $ and \ backslash-escaped; then the string escape that doubles
// every backslash.
func desktopQuote(a string) (string, error) {
	for _, r := range a {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("autostart argument %q: control characters cannot be written in a .desktop file", a)
		}
	}
	a = strings.ReplaceAll(a, "%", "%%")
	if a == "" || strings.ContainsAny(a, " \t\"'\\><~|&;$*?#`()") {
		a = `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", `$`, `\$`, `\`, `\\`).Replace(a) + `"`
	}
	return strings.ReplaceAll(a, `\`, `\\`), nil
}

// LaunchAgentPlist returns the macOS LaunchAgent that runs exe with args
// at login (RunAtLoad), once, without restarting it when it quits.
func LaunchAgentPlist(exe string, args []string) string {
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + AppID + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range append([]string{exe}, args...) {
		b.WriteString("\t\t<string>" + esc(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String()
}

// WindowsCommandLine returns the Run value that starts exe with args: the
// program in double quotes, each argument escaped as CommandLineToArgvW
// reads it back.
func WindowsCommandLine(exe string, args []string) string {
	parts := []string{`"` + exe + `"`}
	for _, a := range args {
		parts = append(parts, winEscapeArg(a))
	}
	return strings.Join(parts, " ")
}

// winEscapeArg is syscall.EscapeArg (which exists only on Windows).
func winEscapeArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, "\"\\ \t") {
		return s
	}
	hasSpace := strings.ContainsAny(s, " \t")
	var b strings.Builder
	if hasSpace {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			for ; slashes > 0; slashes-- {
				b.WriteByte('\\')
			}
			b.WriteByte('\\')
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	if hasSpace {
		for ; slashes > 0; slashes-- {
			b.WriteByte('\\')
		}
		b.WriteByte('"')
	}
	return b.String()
}

// autostartPath is the autostart file on Linux and macOS.
func (m *Manager) autostartPath() (string, error) {
	switch m.sys.goos {
	case "linux":
		dir, err := m.sys.configHome()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "autostart", DesktopFile), nil
	case "darwin":
		home, err := m.sys.home()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "LaunchAgents", AppID+".plist"), nil
	}
	return "", ErrUnsupported
}

// SetAutostart makes Polaris start at login (enabled) by running exe with
// args, or stops it (removing the entry; no entry is not an error): an XDG
// autostart .desktop file (Linux), a LaunchAgent (macOS, loaded at the next
// login), a Run value (Windows). exe should be an absolute path.
func (m *Manager) SetAutostart(enabled bool, exe string, args []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if enabled && !filepath.IsAbs(exe) && !(m.sys.goos == "windows" && strings.Contains(exe, `:\`)) {
		return fmt.Errorf("setting autostart: program path %q is not absolute", exe)
	}
	if m.sys.goos == "windows" {
		return m.setRunValue(enabled, exe, args)
	}
	p, err := m.autostartPath()
	if err != nil {
		return err
	}
	if !enabled {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("removing autostart entry: %w", err)
		}
		return nil
	}
	var content string
	if m.sys.goos == "darwin" {
		content = LaunchAgentPlist(exe, args)
	} else if content, err = DesktopEntry(exe, args); err != nil {
		return err
	}
	if err := writeFileAtomic(p, []byte(content), 0o644); err != nil {
		return fmt.Errorf("writing autostart entry: %w", err)
	}
	return nil
}

func (m *Manager) setRunValue(enabled bool, exe string, args []string) error {
	if m.sys.openReg == nil {
		return ErrUnsupported
	}
	k, err := m.sys.openReg(WinRunKey)
	if err != nil {
		return fmt.Errorf("opening HKCU\\%s: %w", WinRunKey, err)
	}
	defer k.Close()
	if !enabled {
		err = k.Delete(WinRunValue)
	} else {
		err = k.SetString(WinRunValue, WindowsCommandLine(exe, args))
	}
	if err != nil {
		return fmt.Errorf("writing HKCU\\%s\\%s: %w", WinRunKey, WinRunValue, err)
	}
	return nil
}

// AutostartEnabled reports whether Polaris starts at login: the entry
// exists and the desktop has not disabled it (Hidden=true or
// X-GNOME-Autostart-enabled=false in the .desktop file, Disabled in the
// plist is not read).
func (m *Manager) AutostartEnabled() (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.autostartEnabled()
}

func (m *Manager) autostartEnabled() (bool, error) {
	if m.sys.goos == "windows" {
		if m.sys.openReg == nil {
			return false, ErrUnsupported
		}
		k, err := m.sys.openReg(WinRunKey)
		if err != nil {
			return false, err
		}
		defer k.Close()
		_, ok, err := k.GetString(WinRunValue)
		return ok, err
	}
	p, err := m.autostartPath()
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if m.sys.goos == "linux" {
		return desktopEnabled(data), nil
	}
	return true, nil
}

// desktopEnabled reads Hidden and X-GNOME-Autostart-enabled from the
// [Desktop Entry] group.
func desktopEnabled(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	group := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		if group != "[Desktop Entry]" {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "Hidden":
			if strings.TrimSpace(v) == "true" {
				return false
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(v) == "false" {
				return false
			}
		}
	}
	return true
}
