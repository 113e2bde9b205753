// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
)

// side is one whole configuration of the proxy, as the app builds it from
// one version of the settings; every part of it leaves a mark on a request
// (the mark says which side the part came from).
type side struct {
	name    string
	policy  Policy
	https   HTTPSPolicy
	matcher *blocklist.Matcher
	route   Route
}

// sides are two configurations that differ in every part a request reads:
// the signals (policy), the Referer trimming (HTTPS policy), the list that
// decides (matcher) and the address upstream connections come from
// (route).
func sides(t *testing.T) [2]side {
	mk := func(name, from string, dnt settings.DNT, gpc, trim bool) side {
		l, err := blocklist.ParseString("||127.0.0.1^\n@@||127.0.0.1^\n", blocklist.ListMeta{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		m, err := blocklist.Compile([]*blocklist.List{l}, blocklist.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		return side{
			name:    name,
			policy:  Policy{Protection: true, DNT: dnt, GPC: gpc},
			https:   HTTPSPolicy{TrimReferrer: trim},
			matcher: m,
			route:   Route{Name: "direct from " + from, Dial: d.DialContext},
		}
	}
	return [2]side{
		mk("A", "127.0.0.1", settings.DNTDoNotTrack, true, true),
		mk("B", "127.0.0.2", settings.DNTAllowTracking, false, false),
	}
}

// seen is what one request showed of the configuration it met.
type seen struct {
	dnt, gpc, referer, from, list string
}

// sideOf names the side each mark came from.
func (s seen) sideOf() [5]string {
	pick := func(isA bool) string {
		if isA {
			return "A"
		}
		return "B"
	}
	return [5]string{
		pick(s.dnt == "1"), pick(s.gpc == "1"), pick(s.referer == "http://news.example/"),
		pick(s.from == "127.0.0.1"), pick(s.list == "A"),
	}
}

// TestNoRequestSeesAMixedState fires requests while the whole
// configuration flips between two versions, and checks that every request
// met one version only: never the new signals with the old Referer rule,
// the old list or the old route.
func TestNoRequestSeesAMixedState(t *testing.T) {
	sd := sides(t)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		json.NewEncoder(w).Encode(map[string]string{"dnt": r.Header.Get("DNT"), "gpc": r.Header.Get("Sec-GPC"),
			"referer": r.Header.Get("Referer"), "from": host})
	}))
	defer origin.Close()
	var mu sync.Mutex
	lists := map[string]string{} // request id -> the list that decided it
	tp := startProxy(t, Config{Block: BlockConfig{Decisions: func(d status.Decision) {
		mu.Lock()
		lists[d.URL] = d.List
		mu.Unlock()
	}}}, sd[0].policy)
	apply(t, tp.Proxy, sd[0])

	stop := make(chan struct{})
	flipped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				flipped <- n
				return
			default:
			}
			apply(t, tp.Proxy, sd[n%2])
			n++
		}
	}()
	var refused atomic.Int64
	const clients, each = 8, 150
	var wg sync.WaitGroup
	results := make(chan seen, clients*each)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := tp.client()
			for i := range each {
				u := fmt.Sprintf("%s/probe?id=%d-%d", origin.URL, c, i)
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Referer", "http://news.example/article?secret=1")
				req.Header.Set("Accept", "*/*")
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("GET %s: %v", u, err)
					return
				}
				var got map[string]string
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable && got == nil {
					// The route changed between the request's start and
					// its going out: refused, not sent (see settingsChanged).
					refused.Add(1)
					continue
				}
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("GET %s: %d %v", u, resp.StatusCode, err)
					return
				}
				mu.Lock()
				list := lists[u]
				mu.Unlock()
				results <- seen{dnt: got["dnt"], gpc: got["gpc"], referer: got["referer"], from: got["from"], list: list}
			}
		}()
	}
	wg.Wait()
	close(stop)
	flips := <-flipped
	close(results)
	mixed, counts := 0, map[string]int{}
	for s := range results {
		marks := s.sideOf()
		counts[marks[0]]++
		for _, m := range marks[1:] {
			if m != marks[0] {
				mixed++
				if mixed <= 5 {
					t.Errorf("a request met a mixed configuration %v: %+v", marks, s)
				}
				break
			}
		}
	}
	t.Logf("%d requests over %d flips: %d met A, %d met B, %d a mix, %d refused as the route changed under them",
		clients*each, flips, counts["A"], counts["B"], mixed, refused.Load())
	if mixed > 0 {
		t.Errorf("%d requests met a mix of two configurations", mixed)
	}
	if counts["A"] == 0 || counts["B"] == 0 {
		t.Errorf("the configuration never flipped under the requests (A %d, B %d)", counts["A"], counts["B"])
	}
}

// apply puts a whole configuration in force, as the app does when the
// settings change: one state, swapped once.
func apply(t *testing.T, p *Proxy, s side) {
	if err := p.SetState(State{Policy: s.policy, HTTPS: s.https, Matcher: s.matcher, Route: s.route}); err != nil {
		t.Error(err)
	}
}
