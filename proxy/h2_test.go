// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"polaris/internal/testenv"
)

// h2Client is a client of proxy tp that speaks HTTP/2 inside the tunnels
// when the proxy offers it (as browsers do), trusting roots. dials counts
// its connections to the proxy.
func h2Client(tp *testProxy, roots *x509.CertPool, dials *atomic.Int64) *http.Client {
	var d net.Dialer
	return &http.Client{
		Transport: &http.Transport{
			Proxy:             http.ProxyURL(tp.url),
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials != nil {
					dials.Add(1)
				}
				return d.DialContext(ctx, network, addr)
			},
			DisableCompression: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       20 * time.Second,
	}
}

// bodyOrigin answers /upload with the length and SHA-256 of the request
// body, /download?n=N with N bytes, and anything else as originHandler.
func bodyOrigin() http.Handler {
	echoH := originHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/upload":
			h := sha256.New()
			n, err := io.Copy(h, r.Body)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
		case "/download":
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.Write(bytes.Repeat([]byte("x"), n))
		default:
			echoH.ServeHTTP(w, r)
		}
	})
}

// With HTTPS filtering on, a client that offers h2 gets HTTP/2 from the
// interception server, with the same pipeline as HTTP/1.1: the signals are
// applied, requests are multiplexed over one connection, a request for
// another host is misdirected, and large bodies cross both ways.
func TestMITMHTTP2(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOriginHandler(t, &leaf, bodyOrigin())
	tp := mitmProxy(t, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
	var dials atomic.Int64
	c := h2Client(tp, polaris.pool, &dials)

	t.Run("signals, multiplexed", func(t *testing.T) {
		// One request opens the connection (Go's client dials once per
		// waiting request before it knows the server speaks HTTP/2).
		resp, err := c.Get(origin.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := mustRequest("GET", origin.URL+fmt.Sprintf("/page?n=%d", i))
				req.Header.Set("Sec-Fetch-Dest", "document")
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				if resp.ProtoMajor != 2 {
					t.Errorf("client got %s, want HTTP/2", resp.Proto)
				}
				e := decodeEcho(t, resp)
				checkSignal(t, e.Header, "Dnt", "1")
				checkSignal(t, e.Header, "Sec-Gpc", "1")
				if want := fmt.Sprintf("/page?n=%d", i); e.URL != want {
					t.Errorf("origin got URL %q, want %q", e.URL, want)
				}
			}()
		}
		wg.Wait()
		if n := dials.Load(); n != 1 {
			t.Errorf("20 concurrent requests opened %d connections to the proxy, want 1 (HTTP/2 multiplexing)", n)
		}
	})

	t.Run("misdirected", func(t *testing.T) {
		req := mustRequest("GET", origin.URL+"/")
		req.Host = "other.example"
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest || resp.ProtoMajor != 2 {
			t.Errorf("request for another host over HTTP/2: %s %d, want HTTP/2 421", resp.Proto, resp.StatusCode)
		}
	})

	t.Run("upload", func(t *testing.T) {
		body := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16) // 8 MiB: many flow-control windows
		sum := sha256.Sum256(body)
		resp, err := c.Post(origin.URL+"/upload", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("%d %s", len(body), hex.EncodeToString(sum[:])); string(b) != want || resp.ProtoMajor != 2 {
			t.Errorf("upload over %s: origin saw %q, want %q", resp.Proto, b, want)
		}
	})

	t.Run("download", func(t *testing.T) {
		const n = 8 << 20
		resp, err := c.Get(origin.URL + "/download?n=" + strconv.Itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || got != n || resp.ProtoMajor != 2 {
			t.Errorf("download over %s: %d bytes, %v; want %d", resp.Proto, got, err, n)
		}
	})

	t.Run("HTTP/1.1 still", func(t *testing.T) {
		resp, err := mitmClient(tp, polaris.pool).Get(origin.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 1 || resp.StatusCode != 200 {
			t.Errorf("a client offering only HTTP/1.1 got %s %d", resp.Proto, resp.StatusCode)
		}
	})
}

// newTLSOriginHandler starts an HTTPS origin on 127.0.0.1 with cert and h,
// speaking HTTP/2 and HTTP/1.1.
func newTLSOriginHandler(t testing.TB, cert *tls.Certificate, h http.Handler) *httptest.Server {
	t.Helper()
	o := httptest.NewUnstartedServer(h)
	o.EnableHTTP2 = true
	o.Config.ErrorLog = discardLog
	o.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	o.StartTLS()
	t.Cleanup(o.Close)
	return o
}

// h2Conn is a raw HTTP/2 connection through proxy tp to hostport, for
// what a client library hides: the server's SETTINGS and GOAWAY frames.
type h2Conn struct {
	*tls.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

func dialH2(t *testing.T, tp *testProxy, hostport string, roots *x509.CertPool) *h2Conn {
	t.Helper()
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", hostport, hostport)
	buf := make([]byte, 0, 128)
	for !bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
		b := make([]byte, 1)
		if _, err := c.Read(b); err != nil {
			t.Fatal(err)
		}
		buf = append(buf, b[0])
	}
	if !bytes.Contains(buf, []byte(" 200 ")) {
		t.Fatalf("CONNECT: %q", buf)
	}
	host, _, _ := net.SplitHostPort(hostport)
	tc := tls.Client(c, &tls.Config{ServerName: host, RootCAs: roots, NextProtos: []string{"h2"}})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN = %q, want h2", p)
	}
	io.WriteString(tc, http2.ClientPreface)
	h := &h2Conn{Conn: tc, fr: http2.NewFramer(tc, tc)}
	h.enc = hpack.NewEncoder(&h.buf)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return h
}

// get sends GET path on stream id.
func (h *h2Conn) get(t *testing.T, id uint32, authority, path string) {
	t.Helper()
	h.buf.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", authority}, {":path", path}} {
		h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.buf.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// The interception server announces its stream limit, and no extended
// CONNECT (RFC 8441): browsers then keep WebSockets on HTTP/1.1
// connections, which the proxy forwards.
func TestMITMHTTP2Settings(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOriginHandler(t, &leaf, bodyOrigin())
	tp := mitmProxy(t, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
	h := dialH2(t, tp, strings.TrimPrefix(origin.URL, "https://"), polaris.pool)
	defer h.Close()
	f, err := h.fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	if v, ok := sf.Value(http2.SettingMaxConcurrentStreams); !ok || v != serverMaxStreams {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (%v), want %d", v, ok, serverMaxStreams)
	}
	if v, ok := sf.Value(http2.SettingEnableConnectProtocol); ok && v != 0 {
		t.Errorf("the server offers extended CONNECT (RFC 8441): browsers would send WebSockets over HTTP/2")
	}
}

// Shutdown sends GOAWAY on an HTTP/2 connection, lets its open stream
// finish, and refuses nothing the client had already sent.
func TestMITMHTTP2ShutdownGoAway(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Second): // the test failed: do not hang its end
		}
		io.WriteString(w, "answer")
	})
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOriginHandler(t, &leaf, h)
	p, err := New(Config{Listen: "127.0.0.1:0", Logf: testenv.Logf(t), TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool})
	if err != nil {
		t.Fatal(err)
	}
	p.SetPolicy(Policy{Protection: true})
	p.SetHTTPSPolicy(HTTPSPolicy{Filter: true})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	tp := &testProxy{Proxy: p}
	hostport := strings.TrimPrefix(origin.URL, "https://")
	hc := dialH2(t, tp, hostport, polaris.pool)
	defer hc.Close()
	hc.get(t, 1, hostport, "/slow")
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the request never reached the origin")
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- p.Shutdown(ctx)
	}()
	var goAway, answered bool
	var body []byte
	for !answered {
		f, err := hc.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames (GOAWAY seen: %v): %v", goAway, err)
		}
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			goAway = true
			if f.LastStreamID < 1 {
				t.Errorf("GOAWAY last stream %d: the open stream 1 would be dropped", f.LastStreamID)
			}
			close(release) // the origin answers only once the client was told
		case *http2.SettingsFrame:
			if !f.IsAck() {
				hc.fr.WriteSettingsAck()
			}
		case *http2.DataFrame:
			body = append(body, f.Data()...)
			answered = f.StreamEnded()
		case *http2.MetaHeadersFrame:
			if st := f.PseudoValue("status"); st != "200" {
				t.Errorf("status %s", st)
			}
			answered = f.StreamEnded()
		}
	}
	if !goAway || string(body) != "answer" {
		t.Errorf("GOAWAY sent: %v; answer %q; want GOAWAY, then the answer", goAway, body)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

// A request without a body that came over HTTP/2 goes upstream over HTTP/2
// without one: its HEADERS frame ends the stream, as the browser's did
// (the origin's server then knows its length, 0, instead of -1: a body to
// wait for), and no empty DATA frame follows per request. A request with
// a body still carries it.
func TestMITMHTTP2NoBody(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOriginHandler(t, &leaf, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %d %q", r.Proto, r.ContentLength, b)
	}))
	tp := mitmProxy(t, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
	c := h2Client(tp, polaris.pool, nil)
	for _, tc := range []struct {
		method, body, want string
	}{
		{"GET", "", `HTTP/2.0 0 ""`},
		{"DELETE", "", `HTTP/2.0 0 ""`},
		{"POST", "abc", `HTTP/2.0 3 "abc"`},
	} {
		req, err := http.NewRequest(tc.method, origin.URL+"/", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.body == "" {
			req.Body, req.ContentLength = nil, 0
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || string(b) != tc.want {
			t.Errorf("%s over %s: origin saw %s, want %s", tc.method, resp.Proto, b, tc.want)
		}
	}
}

// Over HTTP/2 the response still streams through Polaris as the origin
// flushes it (server-sent events reach the browser one by one, not when
// the response ends), and the origin's trailers still arrive.
func TestMITMHTTP2StreamsAndTrailers(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	next := make(chan struct{})
	origin := newTLSOriginHandler(t, &leaf, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/events":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: one\n\n")
			w.(http.Flusher).Flush()
			<-next // the client read the first event, or gave up
			fmt.Fprint(w, "data: two\n\n")
		case "/trailers":
			w.Header().Set("Trailer", "X-Sum")
			fmt.Fprint(w, "body")
			w.Header().Set("X-Sum", "42")
		}
	}))
	tp := mitmProxy(t, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
	c := h2Client(tp, polaris.pool, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", origin.URL+"/events", nil)
	resp, err := c.Do(req)
	if err != nil {
		close(next)
		t.Fatal(err)
	}
	first := make([]byte, len("data: one\n\n"))
	_, err = io.ReadFull(resp.Body, first)
	close(next)
	if err != nil || resp.ProtoMajor != 2 || string(first) != "data: one\n\n" {
		t.Fatalf("first event over %s: %q, %v (not flushed before the response ended?)", resp.Proto, first, err)
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(rest) != "data: two\n\n" {
		t.Errorf("second event: %q", rest)
	}

	resp, err = c.Get(origin.URL + "/trailers")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "body" || resp.Trailer.Get("X-Sum") != "42" {
		t.Errorf("over %s: body %q, trailers %v; want body and X-Sum: 42", resp.Proto, b, resp.Trailer)
	}
}
