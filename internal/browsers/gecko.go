// SPDX-License-Identifier: GPL-3.0-or-later

package browsers

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// geckoProfiles lists the profiles of a Gecko browser's roots: those named
// in each profiles.ini, then any other folder of a root that holds a
// certificate database (a profile made by hand or by another tool), each
// folder once.
func (e resolved) geckoProfiles(roots []string) []Profile {
	var out []Profile
	seen := map[string]bool{}
	add := func(name, dir string) {
		key := dir
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			key = r
		}
		if seen[key] || !isDir(dir) {
			return
		}
		seen[key] = true
		out = append(out, Profile{Name: name, Dir: dir, Prefs: filepath.Join(dir, "user.js"),
			NSS: nssAt(dir), Running: e.geckoRunning(dir)})
	}
	for _, root := range roots {
		if b, err := os.ReadFile(filepath.Join(root, "profiles.ini")); err == nil {
			for _, p := range ParseProfilesINI(b) {
				dir := filepath.FromSlash(p.Path)
				if p.Relative || !filepath.IsAbs(dir) {
					dir = filepath.Join(root, dir)
				}
				add(p.Name, filepath.Clean(dir))
			}
		}
		var extra []string
		for _, pat := range []string{"*/cert9.db", "*/cert8.db", "Profiles/*/cert9.db", "Profiles/*/cert8.db"} {
			m, _ := filepath.Glob(filepath.Join(root, pat))
			for _, f := range m {
				extra = append(extra, filepath.Dir(f))
			}
		}
		sort.Strings(extra)
		for _, dir := range extra {
			add(profileNameOf(dir), dir)
		}
	}
	return out
}

// profileNameOf is the name Firefox gives a profile folder it made:
// "default-release" for "x1y2z3.default-release".
func profileNameOf(dir string) string {
	name := filepath.Base(dir)
	if i := strings.IndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return name
}

// IniProfile is one [ProfileN] section of profiles.ini.
type IniProfile struct {
	Name string
	// Path is the profile folder, relative to the folder of profiles.ini
	// when Relative.
	Path     string
	Relative bool
}

// ParseProfilesINI reads the [Profile*] sections of a Firefox profiles.ini.
// Sections without a Path are dropped; a missing Name is the Path. It
// never fails: what it cannot read it leaves out.
func ParseProfilesINI(b []byte) []IniProfile {
	var out []IniProfile
	var cur *IniProfile
	flush := func() {
		if cur != nil && cur.Path != "" {
			if cur.Name == "" {
				cur.Name = cur.Path
			}
			out = append(out, *cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			flush()
			if strings.HasPrefix(strings.ToLower(line), "[profile") {
				cur = &IniProfile{Relative: true}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if cur == nil || !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Name":
			cur.Name = strings.TrimSpace(v)
		case "Path":
			cur.Path = strings.TrimSpace(v)
		case "IsRelative":
			cur.Relative = strings.TrimSpace(v) != "0"
		}
	}
	flush()
	return out
}

// geckoRunning reports whether a Gecko profile is open. On Linux Firefox
// keeps a "lock" symbolic link to "address:+PID" while it runs; the profile
// is open when that process is alive. On macOS (.parentlock) and Windows
// (parent.lock) the lock file stays after Firefox exits, so a present one
// counts as open: cannot tell.
func (e resolved) geckoRunning(dir string) bool {
	target, err := os.Readlink(filepath.Join(dir, "lock"))
	if err == nil {
		_, pid, ok := strings.Cut(target, "+")
		return !ok || e.goos != "linux" || e.alive(pid)
	}
	switch e.goos {
	case "darwin":
		return fileExists(filepath.Join(dir, ".parentlock"))
	case "windows":
		return fileExists(filepath.Join(dir, "parent.lock"))
	}
	return false
}

// alive reports whether process pid (decimal) exists (Linux: /proc/PID
// under Root). A pid that cannot be read counts as alive.
func (e resolved) alive(pid string) bool {
	if _, err := strconv.Atoi(pid); err != nil {
		return true
	}
	_, err := os.Stat(e.system("proc/" + pid))
	return err == nil
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
