// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package instance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStaleSocketReplaced(t *testing.T) {
	dir := t.TempDir()
	// A crash leaves the socket file behind.
	if err := os.WriteFile(filepath.Join(dir, "polaris.sock"), []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	serveFake(t, dir)
	if err := SignalShow(dir); err != nil {
		t.Errorf("SignalShow with a stale socket left by a crash = %v, want nil", err)
	}
}

func TestLongDataDirUsesRuntimeDir(t *testing.T) {
	rt, err := os.MkdirTemp("", "rt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(rt)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-rather-long-directory-name/", 5))
	p, err := socketPath(dir)
	if err != nil {
		t.Fatalf("socketPath(long) = %v", err)
	}
	if filepath.Dir(p) != rt {
		t.Fatalf("socketPath(long) = %q, want a name in %q", p, rt)
	}
	h := serveFake(t, dir)
	if err := SignalShow(dir); err != nil || h.shown.Load() != 1 {
		t.Errorf("SignalShow(long data dir) = %v, shown %v; want nil, true", err, h.shown.Load() == 1)
	}
	if q, _ := socketPath(dir + "x"); q == p {
		t.Errorf("two data dirs share the socket %q", p)
	}
}

func TestShowRequestIgnoresGarbage(t *testing.T) {
	dir := t.TempDir()
	h := serveFake(t, dir)
	c, _, err := dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	c.Write([]byte("hide everything\n"))
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	c.Close()
	if !strings.HasPrefix(string(buf[:n]), "error") || h.shown.Load() != 0 {
		t.Errorf("garbage request: answer %q, show called %d times; want an error and no call", buf[:n], h.shown.Load())
	}
	if err := SignalShow(dir); err != nil || h.shown.Load() != 1 {
		t.Errorf("after garbage, SignalShow = %v (calls %d), want nil (1)", err, h.shown.Load())
	}
}

// The Windows endpoint (loopback TCP and a token file) runs here too.
func TestTCPInstanceEndpoint(t *testing.T) {
	dir := t.TempDir()
	ln, check, cleanup, err := listenTCP(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("token file mode %v, want 0600", m)
	}
	c, prefix, err := dialTCP(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if req, ok := check(prefix + "show"); !ok || req != "show" {
		t.Errorf("the server refuses its own client's request %q: %q %v", prefix+"show", req, ok)
	}
	for _, bad := range []string{"show", "00 show", strings.Repeat("0", 32) + " show", ""} {
		if _, ok := check(bad); ok {
			t.Errorf("check(%q) accepted a request without the token", bad)
		}
	}
	cleanup()
	if _, _, err := dialTCP(dir); err == nil {
		t.Error("dialTCP works after cleanup")
	}
	// A token file pointing away from loopback is not followed.
	os.WriteFile(filepath.Join(dir, TokenFile), []byte("192.0.2.1:80 abc\n"), 0o600)
	if _, _, err := dialTCP(dir); err == nil {
		t.Error("dialTCP followed a non-loopback address")
	}
}
