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
	run := func(b *testing.B, dataDir string) {
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
		for c.ready.Load() == nil {
			select {
			case <-w.ch:
			case <-time.After(time.Minute):
				b.Fatal("tor did not bootstrap in a minute")
			}
		}
		if _, err := get(ctx, c, o.URL, "bench.example"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("cold", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			run(b, filepath.Join(b.TempDir(), "tor"))
		}
	})
	b.Run("warm", func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "tor")
		b.StopTimer()
		run(b, dir) // fill the data directory
		b.StartTimer()
		for b.Loop() {
			run(b, dir)
		}
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
