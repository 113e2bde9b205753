// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux || freebsd || openbsd || netbsd || dragonfly

package ui

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// On the free desktops a tray icon is a StatusNotifierItem, which needs a
// host: someone owning org.kde.StatusNotifierWatcher on the session bus
// (KDE, XFCE, Cinnamon, GNOME with the AppIndicator extension). Plain GNOME
// and Xvfb have none, and then an icon would be invisible: closing the
// window must not hide Polaris where the user cannot find it.
//
// This is a deliberately tiny D-Bus client (the standard library only, as
// the ui package rules ask): connect, authenticate, Hello, NameHasOwner.

const sniWatcher = "org.kde.StatusNotifierWatcher"

// trayHostAvailable reports whether the session bus has a StatusNotifier
// host. Any failure counts as "no".
func trayHostAvailable() bool {
	ok, err := nameHasOwner(sessionBusAddress(), sniWatcher, time.Second)
	return err == nil && ok
}

// sessionBusAddress returns the session bus address from the environment.
func sessionBusAddress() string {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		p := filepath.Join(rt, "bus")
		if _, err := os.Stat(p); err == nil {
			return "unix:path=" + p
		}
	}
	return ""
}

// dialBus connects to the first usable unix: address of a D-Bus address list.
func dialBus(addrs string, timeout time.Duration) (net.Conn, error) {
	if addrs == "" {
		return nil, errors.New("no session bus")
	}
	var last error = errors.New("no unix address")
	for _, a := range strings.Split(addrs, ";") {
		kind, params, ok := strings.Cut(a, ":")
		if !ok || kind != "unix" {
			continue
		}
		for _, kv := range strings.Split(params, ",") {
			k, v, _ := strings.Cut(kv, "=")
			var p string
			switch k {
			case "path":
				p = unescapeBus(v)
			case "abstract":
				p = "@" + unescapeBus(v)
			default:
				continue
			}
			c, err := net.DialTimeout("unix", p, timeout)
			if err == nil {
				return c, nil
			}
			last = err
		}
	}
	return nil, last
}

// unescapeBus undoes D-Bus address escaping (%xx).
func unescapeBus(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			if n, err := strconv.ParseUint(v[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// nameHasOwner asks the bus at addr whether name has an owner.
func nameHasOwner(addr, name string, timeout time.Duration) (bool, error) {
	c, err := dialBus(addr, timeout)
	if err != nil {
		return false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReader(c)
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Getuid())))
	if _, err := io.WriteString(c, "\x00AUTH EXTERNAL "+uid+"\r\n"); err != nil {
		return false, err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return false, err
	}
	if !strings.HasPrefix(line, "OK ") {
		return false, fmt.Errorf("bus refused authentication: %q", strings.TrimSpace(line))
	}
	if _, err := io.WriteString(c, "BEGIN\r\n"); err != nil {
		return false, err
	}
	bus := busCall{path: "/org/freedesktop/DBus", iface: "org.freedesktop.DBus", dest: "org.freedesktop.DBus"}
	bus.member, bus.serial = "Hello", 1
	if _, err := c.Write(bus.encode()); err != nil {
		return false, err
	}
	bus.member, bus.serial, bus.arg = "NameHasOwner", 2, name
	if _, err := c.Write(bus.encode()); err != nil {
		return false, err
	}
	for {
		m, err := readBusMessage(r)
		if err != nil {
			return false, err
		}
		if m.replySerial != 2 {
			continue // the Hello reply, NameAcquired, ...
		}
		if m.typ == 3 {
			return false, errors.New("NameHasOwner failed")
		}
		if len(m.body) < 4 {
			return false, errors.New("short NameHasOwner reply")
		}
		return binary.LittleEndian.Uint32(m.body) != 0, nil
	}
}

// busCall is a method call whose arguments are at most one string and
// then some uint32s.
type busCall struct {
	path, iface, member, dest, arg string
	u32                            []uint32
	serial                         uint32
}

func pad(b *bytes.Buffer, n int) {
	for b.Len()%n != 0 {
		b.WriteByte(0)
	}
}

func putString(b *bytes.Buffer, s string) {
	pad(b, 4)
	binary.Write(b, binary.LittleEndian, uint32(len(s)))
	b.WriteString(s)
	b.WriteByte(0)
}

func (m busCall) encode() []byte {
	var body bytes.Buffer
	sig := ""
	if m.arg != "" {
		putString(&body, m.arg)
		sig = "s"
	}
	for _, v := range m.u32 {
		pad(&body, 4)
		binary.Write(&body, binary.LittleEndian, v)
		sig += "u"
	}
	var h bytes.Buffer
	h.Write([]byte{'l', 1, 0, 1})
	binary.Write(&h, binary.LittleEndian, uint32(body.Len()))
	binary.Write(&h, binary.LittleEndian, m.serial)
	var fields bytes.Buffer
	field := func(code byte, sig byte, v string) {
		pad(&fields, 8)
		fields.Write([]byte{code, 1, sig, 0})
		if sig == 'g' {
			fields.WriteByte(byte(len(v)))
			fields.WriteString(v)
			fields.WriteByte(0)
			return
		}
		putString(&fields, v)
	}
	// Field offsets are relative to the message start; the array begins
	// at offset 16, which is 8-aligned, so aligning within fields works.
	field(1, 'o', m.path)
	field(2, 's', m.iface)
	field(3, 's', m.member)
	field(6, 's', m.dest)
	if sig != "" {
		field(8, 'g', sig)
	}
	binary.Write(&h, binary.LittleEndian, uint32(fields.Len()))
	h.Write(fields.Bytes())
	pad(&h, 8)
	h.Write(body.Bytes())
	return h.Bytes()
}

type busMessage struct {
	typ         byte
	replySerial uint32
	body        []byte
}

// readBusMessage reads one little- or big-endian message and extracts
// what nameHasOwner needs.
func readBusMessage(r io.Reader) (busMessage, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return busMessage{}, err
	}
	var order binary.ByteOrder = binary.LittleEndian
	if fixed[0] == 'B' {
		order = binary.BigEndian
	}
	bodyLen := order.Uint32(fixed[4:8])
	fieldsLen := order.Uint32(fixed[12:16])
	if bodyLen > 1<<20 || fieldsLen > 1<<16 {
		return busMessage{}, errors.New("oversized D-Bus message")
	}
	padded := (fieldsLen + 7) &^ 7
	rest := make([]byte, padded+bodyLen)
	if _, err := io.ReadFull(r, rest); err != nil {
		return busMessage{}, err
	}
	m := busMessage{typ: fixed[1], body: rest[padded:]}
	f := rest[:fieldsLen]
	// Offsets inside f are message offsets minus 16 (8-aligned), so
	// alignment can be computed on the index into f.
	for i := 0; i < len(f); {
		i = (i + 7) &^ 7
		if i+3 > len(f) {
			break
		}
		code, sigLen := f[i], int(f[i+1])
		if i+2+sigLen+1 > len(f) {
			break
		}
		sig := string(f[i+2 : i+2+sigLen])
		i += 2 + sigLen + 1
		switch sig {
		case "u":
			i = (i + 3) &^ 3
			if i+4 > len(f) {
				return m, errors.New("truncated header field")
			}
			if code == 5 {
				m.replySerial = order.Uint32(f[i:])
			}
			i += 4
		case "s", "o":
			i = (i + 3) &^ 3
			if i+4 > len(f) {
				return m, errors.New("truncated header field")
			}
			i += 4 + int(order.Uint32(f[i:])) + 1
		case "g":
			if i >= len(f) {
				return m, errors.New("truncated header field")
			}
			i += 1 + int(f[i]) + 1
		default:
			return m, fmt.Errorf("unexpected header field type %q", sig)
		}
	}
	return m, nil
}
