// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux && !nogui

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinuxPackage builds the desktop package with fyne package, as `make
// package` does, and checks what is in it: the polaris binary, the icon,
// and a .desktop entry that starts it.
func TestLinuxPackage(t *testing.T) {
	dir := t.TempDir()
	// fyne package runs in the module's root, where FyneApp.toml is.
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// fyne package counts builds up in FyneApp.toml: leave the file as it was.
	meta, err := os.ReadFile(filepath.Join(repo, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(filepath.Join(repo, "FyneApp.toml"), meta, 0o644) })
	// The window's binary the GUI tests build (shares their build cache);
	// `make package` builds a release binary the same way fyne does.
	cmd := exec.Command("go", "tool", "fyne", "package", "-os", "linux", "-release", "-name", "Polaris", "-icon", "assets/icon.png",
		"--exe", buildGUI(t))
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fyne package: %v\n%s", err, out)
	}
	pkg := filepath.Join(dir, "Polaris.tar.xz")
	if err := os.Rename(filepath.Join(repo, "Polaris.tar.xz"), pkg); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tar", "-xJf", pkg, "-C", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("unpacking: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "polaris", "usr", "local")
	desktop, err := os.ReadFile(filepath.Join(root, "share", "applications", "org.polaris.app.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Name=Polaris", "Exec=polaris", "Icon=org.polaris.app", "Categories=Network;Security;"} {
		if !strings.Contains(string(desktop), want) {
			t.Errorf(".desktop entry lacks %q:\n%s", want, desktop)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "share", "pixmaps", "org.polaris.app.png")); err != nil {
		t.Error(err)
	}
	// The packaged binary runs headless too.
	bin := filepath.Join(root, "bin", "polaris")
	// It is built without Fyne's colour emoji font (make's GUITAGS): Polaris
	// shows no emoji, and the font cost the window 13 MB.
	if b, err := os.ReadFile(bin); err != nil {
		t.Fatal(err)
	} else if bytes.Contains(b, []byte("EmojiOneColor.otf")) {
		t.Error("the packaged binary carries Fyne's emoji font: build it with -tags no_emoji")
	}
	out, err = exec.Command(bin, "--data-dir", t.TempDir(), "config", "get", "dnt").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "unset" {
		t.Errorf("packaged polaris config get dnt: %v %q", err, out)
	}
}
