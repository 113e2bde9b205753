// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
)

// maxSocketPath is the shortest sun_path limit of the Unix systems we run
// on (104 bytes on macOS and the BSDs, 108 on Linux), less the final NUL.
const maxSocketPath = 103

// socketPath returns where the instance socket of dataDir lives:
// <dataDir>/polaris.sock, or, when that path is too long for a socket, a
// name derived from the data dir in the user's private runtime dir.
func socketPath(dataDir string) (string, error) {
	p := filepath.Join(dataDir, SocketFile)
	if len(p) <= maxSocketPath {
		return p, nil
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		return "", errors.New("the data dir path is too long for a local socket and XDG_RUNTIME_DIR is not set")
	}
	sum := sha256.Sum256([]byte(dataDir))
	p = filepath.Join(rt, "polaris-"+hex.EncodeToString(sum[:8])+".sock")
	if len(p) > maxSocketPath {
		return "", errors.New("the data dir path is too long for a local socket")
	}
	return p, nil
}

func listen(dataDir string) (net.Listener, func(string) (string, bool), func(), error) {
	p, err := socketPath(dataDir)
	if err != nil {
		return nil, nil, nil, err
	}
	// The caller holds the instance lock, so a socket left here is stale
	// (a crash); replace it.
	os.Remove(p)
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil, nil, nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(p, 0o600); err != nil {
		ln.Close()
		os.Remove(p)
		return nil, nil, nil, err
	}
	// Only the owner can connect (0600): every line is a request.
	check := func(line string) (string, bool) { return line, true }
	return ln, check, func() { os.Remove(p) }, nil
}

func dial(dataDir string) (net.Conn, string, error) {
	p, err := socketPath(dataDir)
	if err != nil {
		return nil, "", err
	}
	c, err := net.DialTimeout("unix", p, dialTimeout)
	if err != nil {
		return nil, "", err
	}
	return c, "", nil
}
