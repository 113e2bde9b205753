// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/lists"
	"polaris/internal/store"
)

// loopbackOnly fails the test unless every subscribed list is built in, a
// local copy, or served on loopback: a test that lets Polaris update by
// itself must never reach the catalogue's servers.
func loopbackOnly(t *testing.T, a *App) {
	t.Helper()
	st, err := a.store()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.URL == "" || strings.HasPrefix(r.URL, "builtin:") {
			continue
		}
		u, err := url.Parse(r.URL)
		if ip := net.ParseIP(u.Hostname()); err != nil || ip == nil || !ip.IsLoopback() {
			t.Fatalf("list %d (%s) is not on loopback: %q", r.ID, r.Name, r.URL)
		}
	}
}

// withoutDownloads removes every downloaded list (the catalogue's
// defaults), so that only lists a test serves on loopback are left.
func withoutDownloads(t *testing.T, a *App) {
	t.Helper()
	ctx := context.Background()
	st, err := a.store()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if lists.IsDownloaded(r) {
			if err := st.RemoveList(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	loopbackOnly(t, a)
}

// eventually polls cond until it holds, failing after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// autoUpdatingApp opens and runs an App that updates lists by itself
// (NoAutoUpdate off for it alone; $POLARIS_NO_AUTO_UPDATE stays set) with
// only loopback lists: the catalogue's are removed first. extra lists are
// stored before it runs.
func autoUpdatingApp(t *testing.T, opts Options, extra ...store.ListRow) (*App, *http.Client, []int64) {
	t.Helper()
	a := openTestApp(t, opts)
	withoutDownloads(t, a)
	st, _ := a.store()
	var ids []int64
	for _, r := range extra {
		id, err := st.AddList(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	loopbackOnly(t, a)
	// Before Run, no goroutine reads them yet; the lists engine takes its
	// options when it is made.
	a.opts.NoAutoUpdate = false
	a.lists = newLists(a)
	c := serveApp(t, a)
	eventually(t, 10*time.Second, "the first load", func() bool { return !a.Snapshot().Blocking.Loading })
	return a, c, ids
}

// TestAutoUpdateInRunningProxy lets a running Polaris update by itself: a
// list subscribed or switched on that was never downloaded is downloaded
// at once (the scheduler's own round is an hour away), and a list whose
// "! Expires:" or interval has passed is updated on the scheduler's round.
func TestAutoUpdateInRunningProxy(t *testing.T) {
	t.Run("new lists at once", func(t *testing.T) {
		ctx := context.Background()
		o := newOrigins(t)
		fresh := newListServer(t, "! Title: fresh\n||127.0.0.2^\n")
		switched := newListServer(t, "! Title: switched on\n||switched.example^\n")
		a, c, ids := autoUpdatingApp(t, Options{ListCheckInterval: time.Hour},
			store.ListRow{Name: "switched on", URL: switched.srv.URL + "/l.txt", Format: "auto", Interval: 24 * time.Hour})
		if n := switched.requests(); n != 0 {
			t.Errorf("a disabled list was downloaded (%d requests)", n)
		}
		// Subscribed (through the store, as another part of Polaris
		// does) and never downloaded: downloaded right away, and it blocks.
		st, _ := a.store()
		id, err := st.AddList(ctx, store.ListRow{Name: "fresh", URL: fresh.srv.URL + "/l.txt", Format: "auto", Enabled: true, Interval: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		loopbackOnly(t, a)
		a.lists.Reload(ctx)
		eventually(t, 10*time.Second, "the download of a new subscription", func() bool {
			code, _ := fetch(t, c, o.tracker+"/pixel", xhrOf(o.site))
			return code == 204
		})
		if fresh.requests() == 0 {
			t.Fatal("the tracker is blocked but the list server saw no request")
		}
		if l := findList(t, a, "fresh"); l.ID != id || l.Rules != 1 || l.LastError != "" {
			t.Errorf("new subscription after its automatic download: %+v", l)
		}
		// Switched on, never downloaded: downloaded right away.
		if err := a.SetListEnabled(ctx, ids[0], true); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the download of a list switched on", func() bool { return findList(t, a, "switched on").Rules == 1 })
		if switched.requests() == 0 {
			t.Error("the list switched on has rules but its server saw no request")
		}
		loopbackOnly(t, a)
	})

	t.Run("due lists on the round", func(t *testing.T) {
		ctx := context.Background()
		expiring := newListServer(t, "! Title: expiring\n! Expires: 1 hours\n||expiring.example^\n")
		periodic := newListServer(t, "! Title: periodic\n||periodic.example^\n")
		// No look at the database but the scheduler's own rounds.
		a, _, _ := autoUpdatingApp(t, Options{ListCheckInterval: 200 * time.Millisecond, WatchInterval: time.Hour})
		for _, ls := range []*listServer{expiring, periodic} {
			if err := a.AddList(ctx, ls.srv.URL+"/l.txt", ""); err != nil {
				t.Fatal(err)
			}
		}
		loopbackOnly(t, a)
		if err := a.SetListInterval(ctx, findList(t, a, "periodic").ID, 12*time.Hour); err != nil {
			t.Fatal(err)
		}
		// Not fetched again before they are due...
		before := map[*listServer]int{expiring: expiring.requests(), periodic: periodic.requests()}
		expiring.set("! Title: expiring\n! Expires: 1 hours\n||expiring.example^\n||expiring2.example^\n", "text/plain", 200)
		periodic.set("! Title: periodic\n||periodic.example^\n||periodic2.example^\n", "text/plain", 200)
		time.Sleep(time.Second) // five scheduler rounds
		for ls, n := range before {
			if got := ls.requests(); got != n {
				t.Errorf("%s was downloaded again before it was due (%d requests, had %d)", ls.srv.URL, got, n)
			}
		}
		// ...and updated once their Expires (1 h, shorter than the
		// interval of 4 days) or their interval (12 h) has passed.
		st, _ := a.store()
		for _, back := range []struct {
			name string
			by   time.Duration
		}{{"expiring", 2 * time.Hour}, {"periodic", 13 * time.Hour}} {
			if err := st.SaveListTry(ctx, findList(t, a, back.name).ID, store.ListTry{Time: time.Now().Add(-back.by)}); err != nil {
				t.Fatal(err)
			}
		}
		a.lists.Refresh(ctx) // as if the time had passed: no kick, the round finds them due
		for _, name := range []string{"expiring", "periodic"} {
			eventually(t, 10*time.Second, "the update of the "+name+" list", func() bool { return findList(t, a, name).Rules == 2 })
			if l := findList(t, a, name); l.LastError != "" || time.Since(l.LastSuccess) > time.Minute {
				t.Errorf("%s after its automatic update: %+v", name, l)
			}
		}
		for ls, n := range before {
			if got := ls.requests(); got != n+1 {
				t.Errorf("%s saw %d requests, want %d", ls.srv.URL, got, n+1)
			}
		}
		loopbackOnly(t, a)
	})
}

// hammer sends requests through the proxy from six clients until stop is
// called: the site must always answer 200 and the tracker (127.0.0.2,
// blocked by every version of the test's list) always 204. A failed
// request fails the test. stop waits for the clients and logs the count.
func hammer(t *testing.T, c *http.Client, o *origins) (stop func(during string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var requests, failures atomic.Int64
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				u, want := o.site+"/page", 200
				if i%2 == 1 {
					u, want = o.tracker+"/t", 204
				}
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Referer", o.site+"/")
				resp, err := c.Do(req)
				requests.Add(1)
				if err != nil {
					failures.Add(1)
					t.Errorf("request during list updates: %v", err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					failures.Add(1)
					t.Errorf("GET %s during list updates: %d, want %d", u, resp.StatusCode, want)
				}
			}
		}()
	}
	return func(during string) {
		t.Helper()
		cancel()
		wg.Wait()
		t.Logf("%d requests through %s, %d failed", requests.Load(), during, failures.Load())
	}
}

// TestListUpdatesUnderLoad: while clients hammer the proxy, updates of a
// list alternate between "not modified", garbage of every kind, a server
// error and real new versions. No request fails, the tracker every version
// blocks stays blocked, garbage keeps the version in force.
func TestListUpdatesUnderLoad(t *testing.T) {
	ctx := context.Background()
	ch := churnList(t, "v")
	updates := 0
	for round, n := range []int{4000, 30, 12000, 0} {
		real := ch.version(n)
		for _, step := range []struct {
			name, text, ctype string
			code              int
			want              string // in the error; "" for none
			answer            int    // the server's status
		}{
			{"new version", real, "text/plain", 200, "", 200},
			{"not modified", real, "text/plain", 200, "", 304},
			{"web page", "<!DOCTYPE html><html><body>Log in to the Wi-Fi</body></html>", "text/html", 200, "web page", 200},
			{"not modified after a web page", real, "text/plain", 200, "", 304},
			{"binary", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x57", "application/octet-stream", 200, "not text", 200},
			{"mostly bad", "||127.0.0.2^\n" + strings.Repeat("||x.example^$nosuchoption\n", 200), "text/plain", 200, "mostly not rules", 200},
			{"server error", "oops", "text/plain", 503, "503", 503},
			{"not modified at last", real, "text/plain", 200, "", 304},
		} {
			ch.ls.set(step.text, step.ctype, step.code)
			err := ch.a.UpdateLists(ctx, ch.id)
			updates++
			if step.want == "" && err != nil || step.want != "" && (err == nil || !strings.Contains(err.Error(), step.want)) {
				t.Errorf("round %d, %s: UpdateLists = %v, want an error about %q", round, step.name, err, step.want)
			}
			if got := ch.ls.lastAnswer(); got != step.answer {
				t.Errorf("round %d, %s: the server answered %d, want %d", round, step.name, got, step.answer)
			}
			if got, want := findList(t, ch.a, "churn").Rules, 1+2*n; got != want {
				t.Errorf("round %d, %s: the list has %d rules, want %d", round, step.name, got, want)
			}
		}
	}
	ch.stop(fmt.Sprintf("%d list updates", updates))
}
