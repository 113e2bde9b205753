// SPDX-License-Identifier: GPL-3.0-or-later

package browsers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// blinkProfiles lists the profiles of a Blink user data folder: "Default"
// and "Profile N" folders that hold a Preferences file, plus those its
// "Local State" lists, named as Local State names them.
func blinkProfiles(dir string, nss NSSDB) []Profile {
	names := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(dir, "Local State")); err == nil {
		names = ParseLocalState(b)
	}
	var folders []string
	seen := map[string]bool{}
	addFolder := func(f string) {
		if !seen[f] && f != "" && !strings.ContainsAny(f, `/\`) && f != "." && f != ".." {
			seen[f] = true
			folders = append(folders, f)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		n := en.Name()
		if en.IsDir() && (n == "Default" || strings.HasPrefix(n, "Profile ")) && isFile(filepath.Join(dir, n, "Preferences")) {
			addFolder(n)
		}
	}
	for f := range names {
		if isDir(filepath.Join(dir, f)) {
			addFolder(f)
		}
	}
	sort.Slice(folders, func(i, j int) bool { return profileOrder(folders[i]) < profileOrder(folders[j]) })
	out := make([]Profile, 0, len(folders))
	for _, f := range folders {
		name := names[f]
		if name == "" {
			name = f
		}
		p := filepath.Join(dir, f)
		out = append(out, Profile{Name: name, Dir: p, Prefs: filepath.Join(p, "Preferences"), NSS: nss})
	}
	return out
}

// profileOrder sorts "Default" first, then "Profile 2" before "Profile 10".
func profileOrder(f string) string {
	if f == "Default" {
		return ""
	}
	if n, ok := strings.CutPrefix(f, "Profile "); ok {
		return "1" + strings.Repeat("0", max(0, 8-len(n))) + n
	}
	return "2" + f
}

// ParseLocalState reads a Blink "Local State" file (JSON) into profile
// folder -> the name the browser shows (profile.info_cache). Anything it
// cannot read gives an empty map.
func ParseLocalState(b []byte) map[string]string {
	var ls struct {
		Profile struct {
			InfoCache map[string]struct {
				Name string `json:"name"`
			} `json:"info_cache"`
		} `json:"profile"`
	}
	out := map[string]string{}
	if json.Unmarshal(b, &ls) != nil {
		return out
	}
	for f, v := range ls.Profile.InfoCache {
		out[f] = v.Name
	}
	return out
}

// blinkRunning reports whether a Blink browser runs on a user data folder:
// on Linux and macOS it keeps a "SingletonLock" symbolic link to
// "hostname-PID" while it runs (on Linux the process is checked); on
// Windows a "lockfile" that may be stale counts as running.
func (e resolved) blinkRunning(dir string) bool {
	target, err := os.Readlink(filepath.Join(dir, "SingletonLock"))
	if err == nil {
		i := strings.LastIndexByte(target, '-')
		return i < 0 || e.goos != "linux" || e.alive(target[i+1:])
	}
	return e.goos == "windows" && fileExists(filepath.Join(dir, "lockfile"))
}
