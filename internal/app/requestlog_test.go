// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"polaris/internal/status"
)

func logRows(t *testing.T, a *App) []status.Decision {
	t.Helper()
	st, err := a.store()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.RecentLog(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// The request log stays in memory unless the user opts in; then it is
// written, survives a restart, expires, and is deleted when turned off.
func TestRequestLogPersistence(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	tracker := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pixel")
	})}}
	tracker.Start()
	defer tracker.Close()
	dir := t.TempDir()
	opts := Options{DataDir: dir, Listen: "127.0.0.1:0", StatsFlushInterval: 30 * time.Millisecond}
	asImage := map[string]string{"Accept": "image/*", "Referer": "http://news.example/", "Sec-Fetch-Dest": "image"}
	ctx := context.Background()

	a, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Set(ctx, "blocking.custom-rules", "||127.0.0.2^"); err != nil {
		t.Fatal(err)
	}
	stop := startApp(t, a)
	c := proxyClient(a.currentProxy().Addr(), nil)
	waitFor(t, "the rule to block", func() bool {
		_, body := fetch(t, c, tracker.URL+"/default-off.gif", asImage)
		return body != "pixel"
	})
	time.Sleep(100 * time.Millisecond) // a few flushes
	if rows := logRows(t, a); len(rows) != 0 {
		t.Fatalf("log.persist is off by default, but %d requests were written to disk", len(rows))
	}
	if len(a.RecentDecisions(10)) == 0 {
		t.Fatal("the live log (in memory) is empty")
	}

	if err := a.Set(ctx, "log.persist", "on"); err != nil {
		t.Fatal(err)
	}
	fetch(t, c, tracker.URL+"/kept.gif?id=42", asImage)
	waitFor(t, "the decision on disk", func() bool {
		for _, d := range logRows(t, a) {
			if strings.HasSuffix(d.URL, "/kept.gif?id=42") && d.Verdict == status.Blocked && d.Rule == "||127.0.0.2^" {
				return true
			}
		}
		return false
	})
	// An expired row (2 days old, retention 1 day) goes at the next write.
	st, _ := a.store()
	st.AppendLog(ctx, []status.Decision{{Time: time.Now().Add(-48 * time.Hour), URL: "http://old.example/", Verdict: status.Allowed}})
	waitFor(t, "the expired row to go", func() bool {
		for _, d := range logRows(t, a) {
			if d.URL == "http://old.example/" {
				return false
			}
		}
		return true
	})
	stop()
	a.Close()

	// After a restart the live log shows what was kept.
	b, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	stop = startApp(t, b)
	var found bool
	for _, d := range b.RecentDecisions(100) {
		found = found || strings.HasSuffix(d.URL, "/kept.gif?id=42")
	}
	if !found {
		t.Error("the persisted log was not loaded into the live log after a restart")
	}
	// Turning it off deletes it.
	if err := b.Set(ctx, "log.persist", "off"); err != nil {
		t.Fatal(err)
	}
	if rows := logRows(t, b); len(rows) != 0 {
		t.Errorf("log.persist off left %d requests on disk", len(rows))
	}
	stop()
	b.Close()
}

// startApp runs a until the returned function (or the test's end) stops it.
func startApp(t *testing.T, a *App) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		done <- err
		t.Fatalf("Run: %v", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// With log.persist on, the running app keeps at most log.max-rows
// requests on disk, and they are the newest: more decisions than the
// limit go through the proxy, and after every write (the statistics
// flush) the table is within the limit.
func TestRequestLogRowLimit(t *testing.T) {
	const limit, rounds, perRound = 1000, 3, 600 // 1000 is the smallest limit allowed
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	ctx := context.Background()
	// Writes happen only when the test flushes (the same call the ticker makes).
	a, err := Open(ctx, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", StatsFlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() }) // after startApp's cleanup has stopped it
	for _, kv := range [][2]string{{"log.persist", "on"}, {"log.max-rows", fmt.Sprint(limit)}} {
		if err := a.Set(ctx, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	startApp(t, a)
	u, _ := url.Parse("http://" + a.currentProxy().Addr())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}, Timeout: 10 * time.Second}
	st, err := a.store()
	if err != nil {
		t.Fatal(err)
	}
	stored := func() []status.Decision {
		ds, err := st.RecentLog(ctx, 10*limit)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	next := 0
	for round := 0; round < rounds; round++ {
		for i := 0; i < perRound; i++ {
			if code, body := fetch(t, c, fmt.Sprintf("%s/r/%d", origin.URL, next), nil); code != 200 || body != "ok" {
				t.Fatalf("request %d: %d %q", next, code, body)
			}
			next++
		}
		last := fmt.Sprintf("/r/%d", next-1)
		waitFor(t, "the round's last request on disk", func() bool {
			a.stats.Flush(ctx)
			ds := stored()
			if len(ds) > limit {
				t.Fatalf("after round %d: %d rows on disk, limit %d", round, len(ds), limit)
			}
			return len(ds) > 0 && strings.HasSuffix(ds[len(ds)-1].URL, last)
		})
	}
	ds := stored()
	if len(ds) != limit {
		t.Fatalf("%d rows on disk after %d requests, want the limit %d", len(ds), next, limit)
	}
	for i, d := range ds {
		if want := fmt.Sprintf("/r/%d", next-limit+i); !strings.HasSuffix(d.URL, want) {
			t.Fatalf("row %d = %s, want ...%s (the newest %d requests, oldest first)", i, d.URL, want, limit)
		}
	}
}
