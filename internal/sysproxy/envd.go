// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
)

const (
	envdName = "environment.d"
	// EnvironmentDFile is the name of the file Enable writes in
	// ~/.config/environment.d. 90 sorts it after the user's own files, so
	// it wins while present.
	EnvironmentDFile = "90-polaris-proxy.conf"
)

// NoProxy is the bypass list given to command-line programs: loopback only,
// in the forms the common tools understand (curl before 7.86 and wget do not
// read CIDR), the same policy as the PAC file.
const NoProxy = "localhost,.localhost,127.0.0.1,127.0.0.0/8,::1"

// envdBackend writes http_proxy and friends into a systemd environment.d
// file, which the user's systemd instance (and GNOME on Wayland) exports
// to programs started in the next session.
type envdBackend struct{ sys *sys }

func (e *envdBackend) name() string  { return envdName }
func (e *envdBackend) title() string { return "programs started from a terminal, from your next login" }

func (e *envdBackend) path() (string, error) {
	dir, err := e.sys.configHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "environment.d", EnvironmentDFile), nil
}

// EnvironmentD returns the environment.d file that points command-line
// programs at proxyAddr (host:port).
func EnvironmentD(proxyAddr string) ([]byte, error) {
	t, err := parseTarget(proxyAddr)
	if err != nil {
		return nil, err
	}
	return envdContent(t), nil
}

func envdContent(t target) []byte {
	var b bytes.Buffer
	b.WriteString("# Written by Polaris while it is the system proxy; Polaris removes it when\n")
	b.WriteString("# it stops being the system proxy. Takes effect at the next login.\n")
	for _, k := range []string{"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"} {
		fmt.Fprintf(&b, "%s=%s\n", k, t.url())
	}
	fmt.Fprintf(&b, "no_proxy=%s\nNO_PROXY=%s\n", NoProxy, NoProxy)
	return b.Bytes()
}

func (e *envdBackend) snapshot(context.Context) (json.RawMessage, error) {
	p, err := e.path()
	if err != nil {
		return nil, err
	}
	fs, err := readFileState(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(fs)
}

func (e *envdBackend) apply(_ context.Context, t target, _ json.RawMessage) error {
	p, err := e.path()
	if err != nil {
		return err
	}
	return writeFileAtomic(p, envdContent(t), 0o644)
}

func (e *envdBackend) ours(_ context.Context, t target, _ json.RawMessage) (bool, error) {
	p, err := e.path()
	if err != nil {
		return false, err
	}
	fs, err := readFileState(p)
	if err != nil {
		return false, err
	}
	return fs.Exists && bytes.Equal(fs.Content, envdContent(t)), nil
}

func (e *envdBackend) untouched(_ context.Context, ts []target, saved json.RawMessage) (bool, error) {
	var prev fileState
	if err := json.Unmarshal(saved, &prev); err != nil {
		return false, fmt.Errorf("decoding the saved environment.d file: %w", err)
	}
	p, err := e.path()
	if err != nil {
		return false, err
	}
	cur, err := readFileState(p)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if cur.Exists && bytes.Equal(cur.Content, envdContent(t)) {
			return true, nil
		}
	}
	return cur.Exists == prev.Exists && bytes.Equal(cur.Content, prev.Content), nil
}

func (e *envdBackend) restore(_ context.Context, saved json.RawMessage) error {
	var fs fileState
	if err := json.Unmarshal(saved, &fs); err != nil {
		return fmt.Errorf("decoding the saved environment.d file: %w", err)
	}
	p, err := e.path()
	if err != nil {
		return err
	}
	return fs.put(p)
}
