// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// SnowflakeBroker stands in for the Snowflake broker in tests, which never
// use the Tor Project's. It speaks as much of the broker protocol as a
// proxy that is never given a client needs: every poll (POST /proxy, a
// JSON ProxyPollRequest) is answered "no match", so the proxy polls again.
// It listens on loopback only.
type SnowflakeBroker struct {
	URL string

	mu    sync.Mutex
	polls []SnowflakePoll
	other []string
	seen  chan struct{} // gets a value at each poll (never blocks)
}

// SnowflakePoll holds the fields of a proxy's poll the tests look at.
type SnowflakePoll struct {
	Sid     string
	Version string
	Type    string
	Clients int
	Time    time.Time
}

// NewSnowflakeBroker starts a stand-in broker on loopback, stopped when the
// test ends.
func NewSnowflakeBroker(t testing.TB) *SnowflakeBroker {
	t.Helper()
	b := &SnowflakeBroker{seen: make(chan struct{}, 1000)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	b.URL = "http://" + ln.Addr().String() + "/"
	return b
}

func (b *SnowflakeBroker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.Method != http.MethodPost || r.URL.Path != "/proxy" {
		b.mu.Lock()
		b.other = append(b.other, r.Method+" "+r.URL.Path)
		b.mu.Unlock()
		http.Error(w, "not here", http.StatusNotFound)
		return
	}
	var p SnowflakePoll
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad poll", http.StatusBadRequest)
		return
	}
	p.Time = time.Now()
	b.mu.Lock()
	b.polls = append(b.polls, p)
	b.mu.Unlock()
	select {
	case b.seen <- struct{}{}:
	default:
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"Status":"no match","Offer":"","NAT":"","RelayURL":""}`))
}

// Polls returns the polls seen so far.
func (b *SnowflakeBroker) Polls() []SnowflakePoll {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]SnowflakePoll(nil), b.polls...)
}

// WaitPolls waits until the broker has seen n polls in all.
func (b *SnowflakeBroker) WaitPolls(t testing.TB, n int, within time.Duration) []SnowflakePoll {
	t.Helper()
	deadline := time.After(within)
	for {
		if p := b.Polls(); len(p) >= n {
			return p
		}
		select {
		case <-b.seen:
		case <-deadline:
			b.mu.Lock()
			defer b.mu.Unlock()
			t.Fatalf("the stand-in broker saw %d polls in %v, want %d (other requests: %q)", len(b.polls), within, n, b.other)
		}
	}
}
