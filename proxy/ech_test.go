// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"testing"
	"time"

	utls "github.com/refraction-networking/utls"
)

// A server that turns the ECH configuration of its DNS record down (its
// keys changed within the record's TTL) sends the current ones back: the
// upstream connection is retried once with them and ECH is accepted. A
// server that turned ECH off (no configurations sent back) is reached
// without it, as a browser would.
func TestECHRejectedRetries(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	current, key := echTestConfig(t, "public.example")
	stale, _ := echTestConfig(t, "public.example")
	staleList := append([]byte{byte(len(stale) >> 8), byte(len(stale))}, stale...)
	type seen struct {
		ech  bool
		name string
	}
	for _, tc := range []struct {
		name    string
		keys    []tls.EncryptedClientHelloKey
		wantECH bool
	}{
		{"keys rotated", []tls.EncryptedClientHelloKey{{Config: current, PrivateKey: key, SendAsRetry: true}}, true},
		{"ECH switched off", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan seen, 4)
			origin := httptestTLS(t, upstream, &tls.Config{EncryptedClientHelloKeys: tc.keys}, func(w http.ResponseWriter, r *http.Request) {
				got <- seen{r.TLS.ECHAccepted, r.TLS.ServerName}
			})
			var logs logRecorder
			cfg := Config{Logf: logs.logf, TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool, Route: Route{
				Dial:       toOrigin(origin),
				ECHConfigs: func(ctx context.Context, host string) []byte { return staleList },
			}}
			tp := startProxy(t, cfg, signalsOn)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("proxy log:\n%s", logs.String())
				}
			})
			if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
				t.Fatal(err)
			}
			for i, id := range []utls.ClientHelloID{utls.HelloChrome_Auto, utls.HelloFirefox_Auto} {
				host := fmt.Sprintf("rotated%d.example", i)
				client, _ := uTLSThroughProxy(t, tp, host, polaris, id)
				h2Get(t, client, host)
				client.Close()
				select {
				case s := <-got:
					if s.ech != tc.wantECH || s.name != host {
						t.Errorf("%s: origin saw ECH %v, name %q; want ECH %v, %q", id.Str(), s.ech, s.name, tc.wantECH, host)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: the origin got no request: %s", id.Str(), logs.String())
				}
			}
			if logs.contains("repeated") {
				t.Errorf("a rejected ECH turned the mirrored hello off: %s", logs.String())
			}
		})
	}
}
