// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux || freebsd || openbsd || netbsd || dragonfly

package ui

import (
	"bufio"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sessionBus starts a private dbus-daemon for the test and returns its address.
func sessionBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (Debian package dbus)")
	}
	dir := t.TempDir()
	addr := "unix:path=" + filepath.Join(dir, "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// ownName connects to the bus and takes name, keeping the connection
// open until the test ends.
func ownName(t *testing.T, addr, name string) {
	t.Helper()
	c, err := dialBus(addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	io.WriteString(c, "\x00AUTH EXTERNAL "+hex.EncodeToString([]byte(strconv.Itoa(os.Getuid())))+"\r\n")
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "OK") {
		t.Fatalf("auth: %q", line)
	}
	io.WriteString(c, "BEGIN\r\n")
	bus := busCall{path: "/org/freedesktop/DBus", iface: "org.freedesktop.DBus", dest: "org.freedesktop.DBus"}
	bus.member, bus.serial = "Hello", 1
	c.Write(bus.encode())
	bus.member, bus.serial, bus.arg, bus.u32 = "RequestName", 2, name, []uint32{4}
	c.Write(bus.encode())
	for {
		m, err := readBusMessage(r)
		if err != nil {
			t.Fatalf("RequestName: %v", err)
		}
		if m.replySerial == 2 {
			if m.typ != 2 {
				t.Fatalf("RequestName failed (message type %d)", m.typ)
			}
			return
		}
	}
}

func TestTrayHostDetection(t *testing.T) {
	addr := sessionBus(t)
	if ok, err := nameHasOwner(addr, sniWatcher, time.Second); err != nil || ok {
		t.Fatalf("nameHasOwner on a bare bus = %v, %v; want false, nil", ok, err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	if trayHostAvailable() {
		t.Error("trayHostAvailable() = true without a StatusNotifier host (plain GNOME, Xvfb)")
	}
	ownName(t, addr, sniWatcher)
	if ok, err := nameHasOwner(addr, sniWatcher, time.Second); err != nil || !ok {
		t.Fatalf("nameHasOwner with a watcher = %v, %v; want true, nil", ok, err)
	}
	if !trayHostAvailable() {
		t.Error("trayHostAvailable() = false with a StatusNotifier host")
	}
}

func TestTrayHostWithoutBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if trayHostAvailable() {
		t.Error("trayHostAvailable() = true without a session bus")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "nothing"))
	if trayHostAvailable() {
		t.Error("trayHostAvailable() = true with a dead bus address")
	}
	// A server that is not D-Bus.
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.WriteString(c, "REJECTED\r\n")
			c.Close()
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(dir, "s"))
	if trayHostAvailable() {
		t.Error("trayHostAvailable() = true when the bus refuses us")
	}
}

func TestBusAddressParsing(t *testing.T) {
	if got := unescapeBus("/tmp/dbus%2dtest%20x"); got != "/tmp/dbus-test x" {
		t.Errorf("unescapeBus = %q", got)
	}
	addr := sessionBus(t)
	// The first address is unusable; the second works.
	list := "tcp:host=127.0.0.1,port=1;unix:path=/nonexistent/bus;" + addr
	if _, err := nameHasOwner(list, sniWatcher, time.Second); err != nil {
		t.Errorf("nameHasOwner(%q) = %v", list, err)
	}
}

func FuzzReadBusMessage(f *testing.F) {
	m := busCall{path: "/a", iface: "b.c", member: "D", dest: "e.f", arg: "x", u32: []uint32{1}, serial: 9}
	f.Add(m.encode())
	f.Add([]byte("l\x02\x01\x01\x04\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x05\x01u\x00\x02\x00\x00\x00\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readBusMessage(strings.NewReader(string(b))) // must not panic or hang
	})
}
