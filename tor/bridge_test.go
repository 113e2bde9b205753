// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/settings"
)

// TestObfs4Bridge runs an obfs4 bridge (tor + obfs4proxy) on 127.0.0.1
// inside the private network and connects through it with custom bridge
// lines: the real pluggable-transport path, nothing leaving the host.
func TestObfs4Bridge(t *testing.T) {
	t.Parallel()
	n := privateNet(t)
	obfs4, err := exec.LookPath("obfs4proxy")
	if err != nil {
		if obfs4, err = exec.LookPath("lyrebird"); err != nil {
			t.Skip("obfs4proxy is not installed (Debian package obfs4proxy)")
		}
	}
	line := startBridge(t, n, obfs4)
	o := newOrigin(t)
	w := newWatcher()
	cfg := n.config(t, "")
	cfg.Bridges, cfg.BridgeLines, cfg.OnStatus = settings.BridgesCustom, []string{line}, w.onStatus
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer c.Shutdown(ctx)
	w.waitFor(t, 0, 90*time.Second, "ready through the bridge", isReady)
	if _, err := get(ctx, c, o.URL, "bridge.example"); err != nil {
		t.Fatalf("GET through the obfs4 bridge: %v", err)
	}
	checkExit(t, n, o)
	circ := circuitOf(t, c, "bridge.example")
	if len(circ.Hops) == 0 || circ.Hops[0].Nickname != "bridge" {
		t.Errorf("circuit %+v: want the bridge as first hop", circ)
	}
}

// startBridge starts an obfs4 bridge relay on 127.0.0.1 and returns its
// bridge line.
func startBridge(t *testing.T, n *tornet, obfs4 string) string {
	t.Helper()
	dir := t.TempDir()
	orPort, ptPort := freePort(t), freePort(t)
	for ptPort == orPort {
		ptPort = freePort(t)
	}
	auths, err := os.ReadFile(filepath.Join(n.Dir, "authorities.conf"))
	if err != nil {
		t.Fatal(err)
	}
	torrc := filepath.Join(dir, "torrc")
	writeFile(t, torrc, fmt.Sprintf(`TestingTorNetwork 1
%sDataDirectory %s
Nickname bridge
BridgeRelay 1
PublishServerDescriptor 0
ORPort 127.0.0.1:%d
Address 127.0.0.1
AssumeReachable 1
ExitRelay 0
SocksPort 0
OutboundBindAddress 127.0.0.1
ServerTransportPlugin obfs4 exec %s
ServerTransportListenAddr obfs4 127.0.0.1:%d
ExtORPort auto
Log notice file %s
__OwningControllerProcess %d
`, auths, filepath.Join(dir, "data"), orPort, obfs4, ptPort, filepath.Join(dir, "notice.log"), os.Getpid()), 0o600)
	cmd := exec.Command("tor", "--defaults-torrc", os.DevNull, "-f", torrc)
	out := &testLog{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "notice.log"))
			t.Logf("bridge log:\n%s", b)
		}
	})
	// obfs4proxy writes the bridge line once it listens.
	lineFile := filepath.Join(dir, "data", "pt_state", "obfs4_bridgeline.txt")
	fpFile := filepath.Join(dir, "data", "fingerprint")
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err1 := os.ReadFile(lineFile)
		fp, err2 := os.ReadFile(fpFile)
		if err1 == nil && err2 == nil && strings.Contains(string(b), "cert=") && len(strings.Fields(string(fp))) == 2 {
			// "Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=... iat-mode=0"
			for _, l := range strings.Split(string(b), "\n") {
				if i := strings.Index(l, " cert="); strings.HasPrefix(l, "Bridge obfs4 ") && i > 0 {
					return fmt.Sprintf("obfs4 127.0.0.1:%d %s%s", ptPort, strings.Fields(string(fp))[1], l[i:])
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bridge wrote no obfs4 bridge line in 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a free port below the ephemeral range (32768 and up on
// Linux) and below the private network's (23000 and up): the bridge binds
// it seconds later, and an ephemeral port could be taken by any outgoing
// connection in between.
func freePort(t *testing.T) int {
	t.Helper()
	start := 15000 + rand.IntN(7000)
	for i := range 7000 {
		port := 15000 + (start-15000+i)%7000
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port between 15000 and 22000")
	return 0
}
