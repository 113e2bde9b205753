// SPDX-License-Identifier: GPL-3.0-or-later

package settings

// System are the choices that change the user's system.
type System struct {
	// SystemProxy points the OS proxy settings at Polaris while it runs;
	// the previous settings are restored on quit (and after a crash).
	SystemProxy bool
	// PACFailOpen lets the PAC file fall back to DIRECT when Polaris is not
	// running. Off: fail closed.
	PACFailOpen bool
	// Autostart starts Polaris at login.
	Autostart bool
	// FirefoxUserJS sets Firefox profiles that do not use the system proxy
	// to do so (user.js), restoring them when the system proxy is turned off.
	FirefoxUserJS bool
}

var systemKeys = []Key{
	boolKey("system.proxy", "use Polaris as the system proxy while it runs (on|off)",
		func(s *Settings) *bool { return &s.System.SystemProxy }),
	boolKey("pac.fail-open", "let the PAC file go DIRECT when Polaris is not running (on|off; off fails closed)",
		func(s *Settings) *bool { return &s.System.PACFailOpen }),
	boolKey("system.autostart", "start Polaris at login (on|off)",
		func(s *Settings) *bool { return &s.System.Autostart }),
	boolKey("system.firefox", "make Firefox profiles use the system proxy while Polaris is the system proxy (on|off)",
		func(s *Settings) *bool { return &s.System.FirefoxUserJS }),
}
