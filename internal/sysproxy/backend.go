// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"polaris/internal/atomicfile"
	"polaris/internal/browsers"
)

// backend is one place that holds proxy settings. State documents are
// opaque JSON owned by the backend.
type backend interface {
	// name is the stable identifier used in the journal and status
	// ("gnome", "kde", "environment.d", "macos", "windows", "firefox").
	name() string
	// title is the name shown to people.
	title() string
	// snapshot reads what the backend holds now, as the state to restore.
	snapshot(ctx context.Context) (json.RawMessage, error)
	// apply points the backend at t; saved is what snapshot returned.
	apply(ctx context.Context, t target, saved json.RawMessage) error
	// ours reports whether the backend points at t now. saved may be nil.
	ours(ctx context.Context, t target, saved json.RawMessage) (bool, error)
	// untouched reports whether nobody but Polaris changed the backend
	// since saved was taken: every setting Polaris manages holds either
	// its saved value or a value pointing at one of ts (the journal's
	// targets: the current one and earlier ones, if the port changed). That is the case after
	// Enable, and after a crash in the middle of Enable or Disable; it is
	// not once the user changed a setting, which Disable then leaves alone.
	untouched(ctx context.Context, ts []target, saved json.RawMessage) (bool, error)
	// restore writes saved back.
	restore(ctx context.Context, saved json.RawMessage) error
}

// noter is a backend made of independent parts (Firefox profiles) that
// decides part by part whether to restore, returning notes for the user.
type noter interface {
	restoreParts(ctx context.Context, ts []target, saved json.RawMessage) ([]string, error)
}

// merger is a backend made of parts (network services, Firefox profiles)
// that, on a repeated Enable, keeps the saved state of the parts still
// untouched (see backend.untouched) and snapshots the others.
type merger interface {
	merge(ctx context.Context, ts []target, old json.RawMessage) (json.RawMessage, error)
}

// pacChecker is a backend that can tell whether it uses a given PAC URL.
type pacChecker interface {
	usesPAC(ctx context.Context, url string) (bool, error)
}

// platform is what differs between operating systems at run time; the
// per-OS files provide currentPlatform.
type platform struct {
	goos string
	// openReg opens a key under HKEY_CURRENT_USER (Windows only).
	openReg func(path string) (regKey, error)
	// refresh tells WinINet that its settings changed (Windows only).
	refresh func() error
}

// sys is how backends reach the system.
type sys struct {
	env []string
	run RunFunc
	platform
}

const commandTimeout = 15 * time.Second

func newSys(env []string, run RunFunc, p platform) *sys {
	if env == nil {
		env = os.Environ()
	}
	s := &sys{env: env, platform: p}
	s.run = run
	if s.run == nil {
		s.run = s.exec
	}
	return s
}

// getenv returns the last value of k in the environment.
func (s *sys) getenv(k string) string {
	for i := len(s.env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(s.env[i], k+"="); ok {
			return v
		}
	}
	return ""
}

// lookPath finds an executable named name on the environment's PATH.
func (s *sys) lookPath(name string) string {
	if strings.ContainsRune(name, filepath.Separator) {
		return name
	}
	for _, dir := range filepath.SplitList(s.getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// exec is the default RunFunc: the program found on the environment's PATH,
// run with the environment, standard output returned.
func (s *sys) exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	path := s.lookPath(name)
	if path == "" {
		return nil, fmt.Errorf("running %s: %w", name, exec.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return out, fmt.Errorf("running %s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// home is the user's home directory from the environment.
func (s *sys) home() (string, error) {
	if s.goos == "windows" {
		if h := s.getenv("USERPROFILE"); h != "" {
			return h, nil
		}
	}
	if h := s.getenv("HOME"); h != "" {
		return h, nil
	}
	return "", fmt.Errorf("finding the home directory: HOME is not set")
}

// configHome is $XDG_CONFIG_HOME, or ~/.config.
func (s *sys) configHome() (string, error) {
	if d := s.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	h, err := s.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".config"), nil
}

// browsers is where internal/browsers looks for this environment.
func (s *sys) browsers() browsers.Env {
	home, _ := s.home()
	return browsers.Env{GOOS: s.goos, Home: home, Getenv: s.getenv}
}

// desktop reports whether XDG_CURRENT_DESKTOP names one of names.
func (s *sys) desktop(names ...string) bool {
	for _, d := range strings.Split(s.getenv("XDG_CURRENT_DESKTOP"), ":") {
		for _, n := range names {
			if strings.EqualFold(d, n) {
				return true
			}
		}
	}
	return false
}

// sessionBus reports whether a D-Bus session bus is reachable in principle.
func (s *sys) sessionBus() bool {
	if s.getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if d := s.getenv("XDG_RUNTIME_DIR"); d != "" {
		_, err := os.Stat(filepath.Join(d, "bus"))
		return err == nil
	}
	return false
}

func netipParse(host string) (netip.Addr, error) { return netip.ParseAddr(host) }

// detect returns the backends present on this system, in the order they
// are applied. firefox adds the Firefox user.js backend.
func (m *Manager) detect(ctx context.Context, firefox bool) []backend {
	var bs []backend
	switch m.sys.goos {
	case "linux":
		if g := (&gnomeBackend{sys: m.sys}); g.present(ctx) {
			bs = append(bs, g)
		}
		if k := (&kdeBackend{sys: m.sys}); k.present(ctx) {
			bs = append(bs, k)
		}
		bs = append(bs, &envdBackend{sys: m.sys})
	case "darwin":
		bs = append(bs, &macBackend{sys: m.sys})
	case "windows":
		if m.sys.openReg != nil {
			bs = append(bs, &winBackend{sys: m.sys})
		}
	}
	if firefox && len(bs) > 0 {
		bs = append(bs, &firefoxBackend{sys: m.sys, t: m.target, pacURL: m.cfg.PACURL})
	}
	return bs
}

// backendByName returns the backend for a journal entry, whether or not it
// is detected now.
func (m *Manager) backendByName(name string) backend {
	switch name {
	case gnomeName:
		return &gnomeBackend{sys: m.sys}
	case kdeName:
		return &kdeBackend{sys: m.sys}
	case envdName:
		return &envdBackend{sys: m.sys}
	case macName:
		return &macBackend{sys: m.sys}
	case winName:
		if m.sys.openReg != nil {
			return &winBackend{sys: m.sys}
		}
	case firefoxName:
		return &firefoxBackend{sys: m.sys, t: m.target, pacURL: m.cfg.PACURL}
	}
	return nil
}

// writeFileAtomic replaces path with data (atomicfile.Write), creating
// its directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, data, perm)
}

// fileState is a file's bytes and mode, or its absence.
type fileState struct {
	Exists  bool        `json:"exists"`
	Content []byte      `json:"content,omitempty"`
	Mode    os.FileMode `json:"mode,omitempty"`
}

func readFileState(path string) (fileState, error) {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return fileState{}, nil
	}
	if err != nil {
		return fileState{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fileState{}, err
	}
	return fileState{Exists: true, Content: data, Mode: fi.Mode().Perm()}, nil
}

// put writes the state back: the content with its mode, or removes the file.
func (f fileState) put(path string) error {
	if !f.Exists {
		err := os.Remove(path)
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	mode := f.Mode
	if mode == 0 {
		mode = 0o644
	}
	return writeFileAtomic(path, f.Content, mode)
}
