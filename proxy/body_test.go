// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// uploadOrigin answers every request with the number of body bytes it read.
func uploadOrigin(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d", n)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The attack: many uploads that send a byte now and then (or stop), each
// holding a connection and a goroutine of Polaris for as long as it
// likes. They must be cut; an upload that keeps coming, slowly, must not.
func TestSlowRequestBodies(t *testing.T) {
	origin := uploadOrigin(t)
	tp := startProxy(t, Config{BodyTimeout: 500 * time.Millisecond}, Policy{})
	start := func(length int) (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", tp.Addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %s/upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", origin.URL, strings.TrimPrefix(origin.URL, "http://"), length)
		return c, bufio.NewReader(c)
	}
	// ended waits until Polaris answered or closed c, and says which answer.
	ended := func(c net.Conn, br *bufio.Reader, within time.Duration) (string, bool) {
		c.SetReadDeadline(time.Now().Add(within))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", false
			}
			return "closed", true
		}
		resp.Body.Close()
		return strconv.Itoa(resp.StatusCode), true
	}

	const trickles = 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	results := make(chan string, trickles+1)
	for range trickles {
		c, br := start(10000)
		wg.Add(1)
		go func() { // a byte every 100 ms, for up to 15 s
			defer wg.Done()
			for i := 0; i < 150; i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}()
		go func() {
			defer c.Close()
			r, ok := ended(c, br, 12*time.Second)
			if !ok {
				r = "still open after 12 s"
			}
			results <- r
		}()
	}
	// A stalled upload: ten bytes, then nothing.
	stalled, sbr := start(10000)
	stalled.Write([]byte("0123456789"))
	go func() {
		defer stalled.Close()
		r, ok := ended(stalled, sbr, 12*time.Second)
		if !ok {
			r = "still open after 12 s"
		}
		results <- "stalled: " + r
	}()
	for range trickles + 1 {
		if r := <-results; strings.Contains(r, "still open") {
			t.Errorf("a slow upload: %s", r)
		}
	}
	close(stop)
	wg.Wait()

	// An upload that keeps coming at 20 kB/s for 2 s (four times the first
	// allowance) arrives whole.
	const size = 40000
	c, br := start(size)
	defer c.Close()
	chunk := []byte(strings.Repeat("y", 2000))
	for sent := 0; sent < size; sent += len(chunk) {
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("a live upload was cut after %d bytes: %v", sent, err)
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("a live upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != strconv.Itoa(size) {
		t.Errorf("a live upload: %d %q, want 200 and %d bytes at the origin", resp.StatusCode, b, size)
	}
}

// The same inside an intercepted HTTPS connection, over HTTP/2: a stalled
// upload is answered 408 and its stream ends.
func TestSlowRequestBodyIntercepted(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOriginHandler(t, &leaf, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d", n)
	}))
	cfg := Config{TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool, BodyTimeout: 500 * time.Millisecond}
	tp := startProxy(t, cfg, Policy{Protection: true})
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
		t.Fatal(err)
	}
	c := mitmClient(tp, polaris.pool)
	c.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	c.Timeout = 15 * time.Second
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("0123456789")) // then nothing
	req, _ := http.NewRequest("POST", origin.URL+"/upload", pr)
	req.ContentLength = 10000
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("a stalled upload inside HTTPS: %v, want a 408 answer", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || resp.ProtoMajor != 2 {
		t.Errorf("a stalled upload inside HTTPS: %d over %s, want 408 over HTTP/2", resp.StatusCode, resp.Proto)
	}
}
