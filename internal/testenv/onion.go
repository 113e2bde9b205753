// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// OnionService is a private onion service on the private Tor network: a
// tor of its own (not a relay) publishing a fresh v3 onion address whose
// port 80 leads to an origin on loopback.
type OnionService struct {
	// Host is the onion name, "….onion".
	Host string
	// PID is the onion service's tor process: an origin behind it sees its
	// connections come from this process.
	PID int
}

// StartOnionService starts an onion service on n for target (host:port on
// loopback) and returns once its descriptor is published (so that a client
// finds it at the first try), or fails the test after 90 s. It is stopped
// when the test ends.
func (n *Tornet) StartOnionService(t testing.TB, target string) *OnionService {
	t.Helper()
	dir := t.TempDir()
	hs := filepath.Join(dir, "hs")
	if err := os.Mkdir(hs, 0o700); err != nil {
		t.Fatal(err)
	}
	auths, err := os.ReadFile(n.Torrc)
	if err != nil {
		t.Fatal(err)
	}
	portFile := filepath.Join(dir, "control.port")
	torrc := fmt.Sprintf("%s\nDataDirectory %s\nSocksPort 0\nControlPort 127.0.0.1:auto\nControlPortWriteToFile %s\n"+
		"CookieAuthentication 1\nHiddenServiceDir %s\nHiddenServicePort 80 %s\nLog notice stdout\n__OwningControllerProcess %d\n",
		auths, filepath.Join(dir, "data"), portFile, hs, target, os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, "torrc"), []byte(torrc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tor", "--defaults-torrc", "/dev/null", "-f", filepath.Join(dir, "torrc"))
	out := &lockedBuilder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("onion service: %s\ntor output:\n%s", fmt.Sprintf(format, args...), out.String())
	}
	deadline := time.Now().Add(90 * time.Second)
	var ctl net.Conn
	for ctl == nil {
		if b, err := os.ReadFile(portFile); err == nil {
			addr := strings.TrimPrefix(strings.TrimSpace(string(b)), "PORT=")
			ctl, _ = net.Dial("tcp", addr)
		}
		select {
		case <-exited:
			fail("tor exited")
		default:
		}
		if time.Now().After(deadline) {
			fail("no control port")
		}
		if ctl == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	defer ctl.Close()
	ctl.SetDeadline(deadline)
	cookie, err := os.ReadFile(filepath.Join(dir, "data", "control_auth_cookie"))
	if err != nil {
		fail("reading the control cookie: %v", err)
	}
	fmt.Fprintf(ctl, "AUTHENTICATE %x\r\nSETEVENTS HS_DESC\r\n", cookie)
	host, err := os.ReadFile(filepath.Join(hs, "hostname"))
	for i := 0; err != nil && time.Now().Before(deadline); i++ {
		time.Sleep(50 * time.Millisecond)
		host, err = os.ReadFile(filepath.Join(hs, "hostname"))
	}
	if err != nil {
		fail("no hostname: %v", err)
	}
	name := strings.TrimSpace(string(host))
	// 650 HS_DESC UPLOADED <address without .onion> UNKNOWN <hsdir> ...
	sc := bufio.NewScanner(ctl)
	uploaded := 0
	for uploaded < 2 && sc.Scan() {
		line := sc.Text()
		if len(line) >= 4 && line[0] == '5' && line[3] == ' ' {
			fail("control port: %s", line) // 5xx: an error
		}
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "650" && f[1] == "HS_DESC" && f[2] == "UPLOADED" && f[3]+".onion" == name {
			uploaded++
		}
	}
	if uploaded < 2 {
		fail("the descriptor of %s was not published within 90 s (%v)", name, sc.Err())
	}
	return &OnionService{Host: name, PID: cmd.Process.Pid}
}

// lockedBuilder collects a process's output for a failure message.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
