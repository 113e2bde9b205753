// SPDX-License-Identifier: GPL-3.0-or-later

package browsers

import (
	"path/filepath"

	"polaris/internal/status"
)

// place is where one browser lives on one operating system.
type place struct {
	name   string
	family status.Family
	engine Engine
	pkg    Packaging
	// programs are the files whose presence means it is installed: a path
	// under Env.Root, "~/..." under the home folder, or "%VAR%/..." under
	// an environment variable's folder (Windows).
	programs []string
	// dirs are its profile roots, most current first (Gecko: the XDG
	// folder, then the legacy one), or its user data folder (Blink).
	dirs []string
	// nss is the NSS database its profiles share (Blink on Linux).
	nss string
}

// places lists where browsers live on e.goos. The facts come from each
// browser's documentation and packaging:
//   - Firefox on Linux keeps profiles in $XDG_CONFIG_HOME/mozilla/firefox
//     when it creates them today (Firefox ESR 153 does), ~/.mozilla/firefox
//     before; the snap under ~/snap/firefox/common/.mozilla/firefox; the
//     Flatpak under ~/.var/app/org.mozilla.firefox (.mozilla/firefox or
//     config/mozilla/firefox). Each profile has its own cert9.db.
//   - Chromium-family browsers on Linux read the user's NSS database
//     ~/.pki/nssdb; a snap or a Flatpak has its own HOME, so its own.
//   - On macOS and Windows, Blink browsers (and Firefox 120 and later,
//     through security.enterprise_roots.enabled) trust the CAs of the
//     operating system's store: the login keychain, the user's Root store.
func (e resolved) places() []place {
	switch e.goos {
	case "darwin":
		return e.darwinPlaces()
	case "windows":
		return e.windowsPlaces()
	}
	return e.linuxPlaces()
}

// home is a path under the home folder ("" without one).
func (e resolved) homePath(rel string) string {
	if e.home == "" {
		return ""
	}
	return filepath.Join(e.home, filepath.FromSlash(rel))
}

// configHome is $XDG_CONFIG_HOME, or ~/.config.
func (e resolved) configHome() string {
	if d := e.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d
	}
	return e.homePath(".config")
}

func (e resolved) linuxPlaces() []place {
	cfg := func(rel string) string {
		if c := e.configHome(); c != "" {
			return filepath.Join(c, filepath.FromSlash(rel))
		}
		return ""
	}
	flat := func(id string) []string {
		return []string{"var/lib/flatpak/app/" + id, "~/.local/share/flatpak/app/" + id}
	}
	gecko := func(name string, pkg Packaging, programs []string, dirs ...string) place {
		return place{name: name, family: status.Firefox, engine: Gecko, pkg: pkg, programs: programs, dirs: dirs}
	}
	blink := func(name string, fam status.Family, pkg Packaging, programs []string, dir, nss string) place {
		return place{name: name, family: fam, engine: Blink, pkg: pkg, programs: programs, dirs: []string{dir}, nss: nss}
	}
	pki := e.homePath(".pki/nssdb")
	return []place{
		gecko("Firefox", Native, []string{"usr/bin/firefox", "usr/bin/firefox-esr", "usr/lib/firefox/firefox",
			"usr/lib/firefox-esr/firefox-esr", "opt/firefox/firefox"},
			cfg("mozilla/firefox"), e.homePath(".mozilla/firefox")),
		gecko("Firefox (snap)", Snap, []string{"snap/bin/firefox"},
			e.homePath("snap/firefox/common/.mozilla/firefox")),
		gecko("Firefox (Flatpak)", Flatpak, flat("org.mozilla.firefox"),
			e.homePath(".var/app/org.mozilla.firefox/config/mozilla/firefox"),
			e.homePath(".var/app/org.mozilla.firefox/.mozilla/firefox")),
		gecko("LibreWolf", Native, []string{"usr/bin/librewolf", "usr/share/librewolf/librewolf"},
			e.homePath(".librewolf")),
		gecko("LibreWolf (Flatpak)", Flatpak, flat("io.gitlab.librewolf-community"),
			e.homePath(".var/app/io.gitlab.librewolf-community/.librewolf")),
		blink("Chromium", status.Chrome, Native, []string{"usr/bin/chromium", "usr/bin/chromium-browser", "usr/lib/chromium/chromium"},
			cfg("chromium"), pki),
		blink("Chromium (snap)", status.Chrome, Snap, []string{"snap/bin/chromium"},
			e.homePath("snap/chromium/common/chromium"), e.homePath("snap/chromium/current/.pki/nssdb")),
		blink("Chromium (Flatpak)", status.Chrome, Flatpak, flat("org.chromium.Chromium"),
			e.homePath(".var/app/org.chromium.Chromium/config/chromium"), e.homePath(".var/app/org.chromium.Chromium/.pki/nssdb")),
		blink("Google Chrome", status.Chrome, Native, []string{"usr/bin/google-chrome", "usr/bin/google-chrome-stable", "opt/google/chrome/chrome"},
			cfg("google-chrome"), pki),
		blink("Google Chrome (Flatpak)", status.Chrome, Flatpak, flat("com.google.Chrome"),
			e.homePath(".var/app/com.google.Chrome/config/google-chrome"), e.homePath(".var/app/com.google.Chrome/.pki/nssdb")),
		blink("Brave", status.Chrome, Native, []string{"usr/bin/brave-browser", "usr/bin/brave", "opt/brave.com/brave/brave"},
			cfg("BraveSoftware/Brave-Browser"), pki),
		blink("Brave (snap)", status.Chrome, Snap, []string{"snap/bin/brave"},
			e.homePath("snap/brave/common/.config/BraveSoftware/Brave-Browser"), e.homePath("snap/brave/current/.pki/nssdb")),
		blink("Brave (Flatpak)", status.Chrome, Flatpak, flat("com.brave.Browser"),
			e.homePath(".var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser"), e.homePath(".var/app/com.brave.Browser/.pki/nssdb")),
		blink("Microsoft Edge", status.Edge, Native, []string{"usr/bin/microsoft-edge", "usr/bin/microsoft-edge-stable", "opt/microsoft/msedge/msedge"},
			cfg("microsoft-edge"), pki),
		blink("Microsoft Edge (Flatpak)", status.Edge, Flatpak, flat("com.microsoft.Edge"),
			e.homePath(".var/app/com.microsoft.Edge/config/microsoft-edge"), e.homePath(".var/app/com.microsoft.Edge/.pki/nssdb")),
	}
}

func (e resolved) darwinPlaces() []place {
	support := func(rel string) string { return e.homePath("Library/Application Support/" + rel) }
	app := func(name string) []string {
		return []string{"Applications/" + name + ".app", "~/Applications/" + name + ".app"}
	}
	return []place{
		{name: "Firefox", family: status.Firefox, engine: Gecko, programs: app("Firefox"), dirs: []string{support("Firefox")}},
		{name: "LibreWolf", family: status.Firefox, engine: Gecko, programs: app("LibreWolf"), dirs: []string{support("librewolf")}},
		{name: "Chromium", family: status.Chrome, engine: Blink, programs: app("Chromium"), dirs: []string{support("Chromium")}},
		{name: "Google Chrome", family: status.Chrome, engine: Blink, programs: app("Google Chrome"), dirs: []string{support("Google/Chrome")}},
		{name: "Brave", family: status.Chrome, engine: Blink, programs: app("Brave Browser"), dirs: []string{support("BraveSoftware/Brave-Browser")}},
		{name: "Microsoft Edge", family: status.Edge, engine: Blink, programs: app("Microsoft Edge"), dirs: []string{support("Microsoft Edge")}},
	}
}

func (e resolved) windowsPlaces() []place {
	under := func(v, rel string) string {
		base := e.getenv(v)
		if base == "" {
			return ""
		}
		return filepath.Join(base, filepath.FromSlash(rel))
	}
	progs := func(rels ...string) []string {
		var out []string
		for _, r := range rels {
			for _, v := range []string{"ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"} {
				out = append(out, "%"+v+"%/"+r)
			}
		}
		return out
	}
	local := func(rel string) string { return under("LOCALAPPDATA", rel) }
	return []place{
		{name: "Firefox", family: status.Firefox, engine: Gecko, programs: progs("Mozilla Firefox/firefox.exe"),
			dirs: []string{under("APPDATA", "Mozilla/Firefox")}},
		{name: "LibreWolf", family: status.Firefox, engine: Gecko, programs: progs("LibreWolf/librewolf.exe"),
			dirs: []string{under("APPDATA", "librewolf")}},
		{name: "Chromium", family: status.Chrome, engine: Blink, programs: progs("Chromium/Application/chrome.exe"),
			dirs: []string{local("Chromium/User Data")}},
		{name: "Google Chrome", family: status.Chrome, engine: Blink, programs: progs("Google/Chrome/Application/chrome.exe"),
			dirs: []string{local("Google/Chrome/User Data")}},
		{name: "Brave", family: status.Chrome, engine: Blink, programs: progs("BraveSoftware/Brave-Browser/Application/brave.exe"),
			dirs: []string{local("BraveSoftware/Brave-Browser/User Data")}},
		{name: "Microsoft Edge", family: status.Edge, engine: Blink, programs: progs("Microsoft/Edge/Application/msedge.exe"),
			dirs: []string{local("Microsoft/Edge/User Data")}},
	}
}
