// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// The attack: guessing the proxy password as fast as one keep-alive
// connection allows (7,370 guesses a second before). A client address gets
// authGuesses wrong guesses, then is held back, the right password
// included; another address is not; failures are logged without what was
// sent.
func TestProxyAuthGuessing(t *testing.T) {
	const cred = "alice:correct horse battery"
	var mu sync.Mutex
	var logs []string
	tp := startProxy(t, Config{Auth: cred, Logf: func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		mu.Unlock()
	}}, Policy{})
	origin, _ := newOrigin(t)

	conn, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	try := func(c net.Conn, br *bufio.Reader, userpass string) int {
		t.Helper()
		fmt.Fprintf(c, "GET %s/ HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n",
			origin.URL, strings.TrimPrefix(origin.URL, "http://"), base64.StdEncoding.EncodeToString([]byte(userpass)))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const guesses = 500
	codes := map[int]int{}
	start := time.Now()
	for i := range guesses {
		codes[try(conn, br, fmt.Sprintf("alice:guess number %d", i))]++
	}
	t.Logf("%d wrong guesses in %v: %v", guesses, time.Since(start), codes)
	if codes[407] > authGuesses+1 || codes[429] < guesses-authGuesses-1 {
		t.Errorf("answers to %d wrong guesses: %v; want at most %d looked at (407), the rest held back (429)", guesses, codes, authGuesses+1)
	}
	if got := try(conn, br, cred); got != http.StatusTooManyRequests {
		t.Errorf("the right password while held back: %d, want 429", got)
	}
	// Another address is not held back.
	other, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := try(other, bufio.NewReader(other), cred); got != 200 {
		t.Errorf("the right password from another address: %d, want 200", got)
	}
	// Once the time for one more guess has passed, the right one passes.
	tp.auth.mu.Lock()
	if c := tp.auth.clients[netip.MustParsePrefix("127.0.0.1/32")]; c != nil {
		c.at = c.at.Add(-authRefill)
	}
	tp.auth.mu.Unlock()
	if got := try(conn, br, cred); got != 200 {
		t.Errorf("the right password after waiting: %d, want 200", got)
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(logs, "\n")
	if !strings.Contains(all, "wrong user name or password from 127.0.0.1") || !strings.Contains(all, "holding it back") {
		t.Errorf("failures not logged:\n%s", all)
	}
	if strings.Contains(all, "guess number") || strings.Contains(all, "horse") {
		t.Errorf("the log holds what was sent:\n%s", all)
	}
	if n := strings.Count(all, "proxy authentication"); n > 4 {
		t.Errorf("%d log lines for %d guesses: the log is flooded", n, guesses)
	}
}

func TestClientPrefix(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.7:5000", "192.0.2.7/32"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7/32"},
	} {
		if got := clientPrefix(tc.remote).String(); got != tc.want {
			t.Errorf("clientPrefix(%q) = %s, want %s", tc.remote, got, tc.want)
		}
	}
}
