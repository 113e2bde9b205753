// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// Tests never let Polaris download the catalogue's lists from the
// Internet: only lists served on loopback, and only when asked. The
// private Tor network, if a test started it, is stopped at the end.
func TestMain(m *testing.M) {
	os.Setenv(EnvNoAutoUpdate, "1")
	code := m.Run()
	testenv.StopTornet()
	os.Exit(code)
}

// proxyClient is a client that sends everything through the proxy at addr.
func proxyClient(addr string, roots *tls.Config) *http.Client {
	u, _ := url.Parse("http://" + addr)
	tr := &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true, TLSClientConfig: roots}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
