// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"polaris/blocklist"
	"polaris/internal/lists"
	"polaris/internal/testenv"
	"polaris/proxy"
)

// Every $redirect= rule of the real EasyPrivacy, through the running proxy:
// a request the rule matches is answered with the resource it names when
// Polaris has it (its built-in neutral resources and its own surrogate
// scripts, assets/surrogates), and the test counts how many of the rules
// that is.
func TestEasyPrivacyRedirectsServeSurrogates(t *testing.T) {
	data, err := os.ReadFile(testenv.Shared(t, "blocklists/easyprivacy.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := blocklist.Parse(bytes.NewReader(data), blocklist.ListMeta{Name: "EasyPrivacy"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{lists.SurrogateList(), ep}, blocklist.Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "origin") }))
	defer origin.Close()
	p, err := proxy.New(proxy.Config{Listen: "127.0.0.1:0", ReservedHost: "polaris.invalid",
		Route: proxy.Route{Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, origin.Listener.Addr().String())
		}}})
	if err != nil {
		t.Fatal(err)
	}
	p.SetPolicy(proxy.Policy{Protection: true})
	p.SetMatcher(m)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
	}()
	pu, _ := url.Parse("http://" + p.Addr())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}, Timeout: 10 * time.Second}
	total, covered := 0, 0
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "||") || !strings.Contains(line, "redirect=") {
			continue
		}
		total++
		target, site, typ, name := redirectCase(line)
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("Referer", site)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Dest", typ)
		req.Header.Set("Sec-Fetch-Mode", "no-cors")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ctype, want, ok := m.Surrogate(name)
		switch {
		case !ok:
			t.Errorf("%s: Polaris has no resource %q", line, name)
		case resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Type") != ctype:
			t.Errorf("%s: GET %s from %s answered %d %q %.60q, want the %q resource", line, target, site, resp.StatusCode, resp.Header.Get("Content-Type"), body, name)
		default:
			covered++
		}
	}
	t.Logf("EasyPrivacy redirect= rules answered with their resource: %d of %d", covered, total)
	if total != 24 {
		t.Errorf("EasyPrivacy has %d redirect= rules, the count this test was written for is 24", total)
	}
}

// redirectCase makes a request a "||host/path$options" rule matches: its
// address, a page of its first domain= (or another site), its
// Sec-Fetch-Dest and the resource it names.
func redirectCase(rule string) (target, site, dest, name string) {
	pattern, opts, _ := strings.Cut(strings.TrimPrefix(rule, "||"), "$")
	pattern = strings.ReplaceAll(pattern, "*", "x")
	if strings.HasSuffix(pattern, "^") {
		pattern = strings.TrimSuffix(pattern, "^") + "/x"
	}
	pattern = strings.ReplaceAll(pattern, "^", "/")
	target, site, dest = "http://"+pattern, "http://news.example/", "script"
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "redirect":
			name = v
		case "domain":
			d, _, _ := strings.Cut(v, "|")
			site = "http://" + d + "/"
		case "image":
			dest = "image"
		case "xmlhttprequest":
			dest = "empty"
		}
	}
	if strings.Contains(opts, "script") {
		dest = "script"
	}
	return target, site, dest, name
}
