// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"net/http"
	"testing"

	"polaris/internal/testenv"
)

// A subscribed DuckDuckGo privacy configuration adds its tracking
// parameters (and exceptions) to link cleaning, on top of the user's
// allowlist; disabled, the built-in behaviour is back.
func TestDDGConfigListCleansLinks(t *testing.T) {
	ctx := context.Background()
	o := newOrigins(t)
	a := openTestApp(t, Options{})
	if err := a.Set(ctx, "urls.strip-params", "on"); err != nil {
		t.Fatal(err)
	}
	// "bad." is a parameter of the configuration only, not of the built-in list.
	if err := a.AddList(ctx, testenv.Shared(t, "ddg-reference-tests/url-parameters/config_reference.json"), "DuckDuckGo privacy configuration"); err != nil {
		t.Fatal(err)
	}
	l := findList(t, a, "DuckDuckGo privacy configuration")
	if l.Format != "ddg-config" || l.Errors != 0 {
		t.Fatalf("configuration list = %+v", l)
	}
	c := serveApp(t, a)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page := o.site + "/a?bad.=1&keep=1"
	location := func() string {
		req, _ := http.NewRequest("GET", page, nil)
		req.Header.Set("Accept", nav["Accept"])
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", page, err)
		}
		resp.Body.Close()
		return resp.Header.Get("Location")
	}
	want := o.site + "/a?keep=1"
	waitFor(t, "the configuration's parameters", func() bool { return location() == want })
	// The user's allowlist still exempts the site.
	if err := a.Set(ctx, "blocking.allowlist", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if got := location(); got != "" {
		t.Errorf("allowlisted site: redirected to %q, want no redirect", got)
	}
	if err := a.Set(ctx, "blocking.allowlist", ""); err != nil {
		t.Fatal(err)
	}
	if got := location(); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if err := a.SetListEnabled(ctx, l.ID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the built-in parameters alone", func() bool { return location() == "" })
}
