// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openTunnel opens a CONNECT tunnel through tp to hostport.
func openTunnel(t *testing.T, tp *testProxy, hostport string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", hostport, hostport)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT %s: %v %v", hostport, resp, err)
	}
	if br.Buffered() != 0 {
		t.Fatalf("CONNECT %s: bytes after the answer", hostport)
	}
	return c.(*net.TCPConn)
}

// The attack: many pass-through tunnels whose client sends a little and
// closes, to an upstream that never answers and never closes. Polaris must
// let go of both descriptors of each (it kept them forever: 10,000 such
// tunnels exhausted its file descriptors).
func TestHalfClosedTunnelsAreBounded(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	held := make(chan net.Conn, 1000)
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			held <- c // silent, and never closed until the test ends
			go io.Copy(io.Discard, c)
		}
	}()
	defer func() {
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	}()
	for _, intercept := range []bool{false, true} {
		t.Run(map[bool]string{false: "pass-through", true: "intercepted, not TLS"}[intercept], func(t *testing.T) {
			cfg := Config{HalfClosedTimeout: 300 * time.Millisecond}
			if intercept {
				cfg.TLSConfigForHost = newTestCA(t, "Polaris test CA").tlsConfigForHost
			}
			tp := startProxy(t, cfg, Policy{Protection: true})
			if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: intercept}); err != nil {
				t.Fatal(err)
			}
			const n = 200
			for range n {
				c := openTunnel(t, tp, up.Addr().String())
				c.Write([]byte("hello, nobody answers\n"))
				c.Close()
			}
			deadline := time.Now().Add(15 * time.Second)
			for tp.Status().Active > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d client connections still held 15 s after their clients closed (half-closed timeout 300 ms)", tp.Status().Active, n)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// A half-closed tunnel whose answer keeps coming, slowly, is not cut: the
// timeout is for silence, not for the whole answer.
func TestHalfClosedTunnelSlowAnswer(t *testing.T) {
	const chunks, gap = 15, 100 * time.Millisecond // 1.5 s in all
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		c, err := up.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c) // until the client's half-close
		for i := range chunks {
			time.Sleep(gap)
			fmt.Fprintf(c, "chunk %d\n", i)
		}
	}()
	tp := startProxy(t, Config{HalfClosedTimeout: time.Second}, Policy{})
	c := openTunnel(t, tp, up.Addr().String())
	defer c.Close()
	c.Write([]byte("request\n"))
	c.CloseWrite()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	if got := strings.Count(string(b), "chunk"); got != chunks || err != nil {
		t.Errorf("read %d of %d chunks (%v): %q", got, chunks, err, b)
	}
}
