// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testLockdown checks how Polaris runs tor: no torrc-defaults of the system
// (--defaults-torrc is an empty file), tor exits with Polaris
// (__OwningControllerProcess), and its control port needs the cookie.
func testLockdown(t *testing.T, c *Client) {
	c.mu.Lock()
	in := c.inst
	c.mu.Unlock()
	if in == nil || in.pid() == 0 {
		t.Fatal("no tor running")
	}
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(in.pid()), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	arg := func(name string) string {
		i := slices.Index(args, name)
		if i < 0 || i+1 >= len(args) {
			t.Errorf("tor's command line has no %s: %q", name, args)
			return ""
		}
		return args[i+1]
	}
	if d := arg("--defaults-torrc"); d != "" && d != os.DevNull {
		if fi, err := os.Stat(d); err != nil || fi.Size() != 0 {
			t.Errorf("--defaults-torrc %s: %v, size %d; want an empty file", d, err, size(fi))
		}
	}
	if p := arg("--__OwningControllerProcess"); p != strconv.Itoa(os.Getpid()) {
		t.Errorf("--__OwningControllerProcess %q, want our PID %d", p, os.Getpid())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := in.getInfo(ctx, "net/listeners/control")
	if err != nil {
		t.Fatal(err)
	}
	words, _ := splitReply(v)
	if len(words) == 0 {
		t.Fatalf("net/listeners/control = %q", v)
	}
	addr, _ := strconv.Unquote(words[0])
	if addr == "" {
		addr = words[0]
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	info := controlExchange(t, conn, r, "PROTOCOLINFO 1")
	methods := ""
	for _, l := range info {
		if rest, ok := strings.CutPrefix(l, "250-AUTH METHODS="); ok {
			methods, _, _ = strings.Cut(rest, " ")
		}
	}
	for _, m := range strings.Split(methods, ",") {
		if m != "COOKIE" && m != "SAFECOOKIE" {
			t.Errorf("tor's control port accepts auth method %q (PROTOCOLINFO: %q); want COOKIE and SAFECOOKIE only", m, info)
		}
	}
	if reply := controlExchange(t, conn, r, "GETINFO version"); len(reply) == 0 || !strings.HasPrefix(reply[len(reply)-1], "514") {
		t.Errorf("unauthenticated GETINFO version: %q, want 514 Authentication required", reply)
	}
}

func size(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

// controlExchange sends one control-port command and returns the lines of
// tor's reply (up to the final "NNN " line, or what came before the
// connection closed).
func controlExchange(t *testing.T, conn net.Conn, r *bufio.Reader, cmd string) []string {
	t.Helper()
	if _, err := fmt.Fprintf(conn, "%s\r\n", cmd); err != nil {
		t.Fatalf("sending %s: %v", cmd, err)
	}
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return lines
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if len(l) >= 4 && l[3] == ' ' {
			return lines
		}
	}
}
