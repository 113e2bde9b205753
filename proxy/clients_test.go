// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// TestStatusSaysWhichClientsAndHowManySignalled sends plain requests from
// two browsers and a script through a real proxy: Status names the three
// kinds of client, and its reach counts the requests that left with the
// user's signals (not those of a site excepted from them).
func TestStatusSaysWhichClientsAndHowManySignalled(t *testing.T) {
	origin, _ := newOrigin(t)
	pol := Policy{Protection: true, DNT: settings.DNTDoNotTrack, GPC: true,
		Exceptions: []settings.SiteException{{Site: "127.0.0.1", NoSignals: true}}}
	tp := startProxy(t, Config{}, pol)
	c := tp.client()
	for _, ua := range []string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
		"curl/8.5.0",
	} {
		req := mustRequest(http.MethodGet, origin.URL+"/")
		req.Header.Set("User-Agent", ua)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	st := tp.Status()
	var got []status.Client
	for _, cl := range st.Clients {
		got = append(got, status.Client{Family: cl.Family, Version: cl.Version})
	}
	want := []status.Client{{Family: status.Chrome, Version: "156"}, {Family: status.Firefox, Version: "153"}, {Family: status.OtherClient}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clients (-want +got):\n%s", diff)
	}
	// The origin is 127.0.0.1, excepted from signals: three requests, none signalled.
	if st.Reach != (status.Reach{Requests: 3}) {
		t.Errorf("reach with the site excepted = %+v, want 3 requests, 0 signalled", st.Reach)
	}
	tp.SetPolicy(Policy{Protection: true, DNT: settings.DNTDoNotTrack})
	resp, err := c.Get(origin.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := tp.Status().Reach; got != (status.Reach{Requests: 4, Signalled: 1}) {
		t.Errorf("reach = %+v, want 4 requests, 1 signalled", got)
	}
}

// TestReachForgetsHoursOlderThanADay: the figure covers the last 24 hours.
func TestReachForgetsHoursOlderThanADay(t *testing.T) {
	var r reachCounter
	t0 := time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)
	r.add(true, t0)
	r.add(false, t0.Add(time.Hour))
	if got := r.sum(t0.Add(2 * time.Hour)); got != (status.Reach{Requests: 2, Signalled: 1}) {
		t.Errorf("after 2 h: %+v", got)
	}
	if got := r.sum(t0.Add(24 * time.Hour)); got != (status.Reach{Requests: 1}) {
		t.Errorf("after 24 h: %+v, want only the second hour's request", got)
	}
	r.add(true, t0.Add(24*time.Hour)) // same bucket as t0: starts afresh
	if got := r.sum(t0.Add(24 * time.Hour)); got != (status.Reach{Requests: 2, Signalled: 1}) {
		t.Errorf("after reuse: %+v", got)
	}
}

// TestClientKindsAreBounded: a program that changes its User-Agent with
// every request does not grow the table.
func TestClientKindsAreBounded(t *testing.T) {
	var c clientBook
	now := time.Now()
	for i := range 1000 {
		id, _ := clientOfUA("bot" + fmt.Sprint(i) + "/1.0")
		c.seen(id, false, false, now)
	}
	if n := len(c.list()); n != maxClients {
		t.Errorf("%d kinds remembered, want at most %d", n, maxClients)
	}
}

// BenchmarkClientSeen is what every plain request and tunnel pays to be
// counted under its kind of client (the User-Agent read, one lock).
func BenchmarkClientSeen(b *testing.B) {
	var c clientBook
	uas := []string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
		"curl/8.5.0",
	}
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			id, _ := clientOfUA(uas[i%len(uas)])
			c.seen(id, false, false, now)
			i++
		}
	})
}
