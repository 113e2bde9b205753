// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStartToFirstByte measures the time from Start to the first
// response byte through Tor on the private network, with an empty data
// directory (cold) and with the data directory of a previous run (warm).
// Run: go test ./tor -run XXX -bench StartToFirstByte -benchtime 5x
func BenchmarkStartToFirstByte(b *testing.B) {
	n := privateNet(b)
	o := newOrigin(b)
	ctx := context.Background()
	var started, ready time.Duration // summed over the runs
	run := func(b *testing.B, dataDir string) {
		t0 := time.Now()
		w := newWatcher()
		cfg := n.config(b, dataDir)
		cfg.OnStatus = w.onStatus
		c, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		defer c.Shutdown(ctx)
		started += time.Since(t0)
		for c.ready.Load() == nil {
			select {
			case <-w.ch:
			case <-time.After(time.Minute):
				b.Fatal("tor did not bootstrap in a minute")
			}
		}
		ready += time.Since(t0)
		if _, err := get(ctx, c, o.URL, "bench.example"); err != nil {
			b.Fatal(err)
		}
	}
	report := func(b *testing.B, runs int) {
		b.ReportMetric(float64(started.Milliseconds())/float64(runs), "ms-to-Start-return")
		b.ReportMetric(float64(ready.Milliseconds())/float64(runs), "ms-to-ready")
		started, ready = 0, 0
	}
	b.Run("cold", func(b *testing.B) {
		runs := 0
		for b.Loop() {
			run(b, filepath.Join(b.TempDir(), "tor"))
			runs++
		}
		report(b, runs)
	})
	b.Run("warm", func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "tor")
		run(b, dir) // fill the data directory
		started, ready = 0, 0
		runs := 0
		for b.Loop() {
			run(b, dir)
			runs++
		}
		report(b, runs)
	})
}

// BenchmarkDialContext measures a new stream through Tor to an origin on
// 127.0.0.1 (circuit already built) and one HTTP exchange on it.
func BenchmarkDialContext(b *testing.B) {
	n := privateNet(b)
	o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer o.Close()
	ctx := context.Background()
	w := newWatcher()
	cfg := n.config(b, "")
	cfg.OnStatus = w.onStatus
	c, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown(ctx)
	for c.ready.Load() == nil {
		<-w.ch
	}
	addr := o.Listener.Addr().String()
	req := []byte("GET / HTTP/1.0\r\nHost: " + addr + "\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		conn, err := c.DialContext(ctx, "tcp", addr, "bench.example")
		if err != nil {
			b.Fatal(err)
		}
		conn.Write(req)
		io.Copy(io.Discard, conn)
		conn.Close()
	}
}
