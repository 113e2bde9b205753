// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"polaris/blocklist"
	"polaris/internal/atomicfile"
	"polaris/internal/store"
)

// Downloading a list: a conditional GET through the proxy's route, then
// checks that what came is a usable list before it replaces the cached
// copy.

// download fetches a list, conditionally when a copy is cached, and stores
// a new usable copy in the cache. The result says what to record.
func (e *Engine) download(ctx context.Context, row store.ListRow) (store.ListTry, error) {
	var try store.ListTry
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	cached := row.SHA256 != "" && fileExists(e.cachePath(row.ID))
	resp, err := e.fetch(ctx, row, cached)
	if err != nil {
		return try, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached:
		return try, nil
	case resp.StatusCode != http.StatusOK:
		return try, fmt.Errorf("the server answered %s", resp.Status)
	}
	data, err := readBody(resp)
	if err != nil {
		return try, err
	}
	if strings.HasPrefix(strings.ToLower(resp.Header.Get("Content-Type")), "text/html") || looksLikeHTML(data) {
		return try, errors.New("the server sent a web page instead of the list (a login page of the network, or the list moved)")
	}
	if try, err = examine(row, data); err != nil {
		return try, err
	}
	try.Fetched = true // a 304 keeps the validators; a 200 brings the ones to send next time
	try.ETag, try.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if try.SHA256 == row.SHA256 && cached {
		return try, nil // the same list again (a server without validators, or new ones): only they are saved
	}
	if _, err := e.writeCache(row.ID, data); err != nil {
		return try, fmt.Errorf("storing the list: %w", err)
	}
	try.Changed = true
	return try, nil
}

// fetch sends the GET of a list: conditional when a copy is cached.
func (e *Engine) fetch(ctx context.Context, row store.ListRow, cached bool) (*http.Response, error) {
	client, err := e.client()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, row.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", e.userAgent())
	req.Header.Set("Accept", "text/plain, application/json;q=0.9, */*;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	if cached {
		if row.ETag != "" {
			req.Header.Set("If-None-Match", row.ETag)
		}
		if row.LastModified != "" {
			req.Header.Set("If-Modified-Since", row.LastModified)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, plainNetErr(err)
	}
	return resp, nil
}

// examine checks a downloaded list and says what to record of it: its
// format (when it was to be detected), digest, counts, expiry and title.
func examine(row store.ListRow, data []byte) (store.ListTry, error) {
	var try store.ListTry
	format, _ := blocklist.ParseFormat(row.Format)
	if format == blocklist.FormatAuto {
		format = blocklist.DetectFormat(string(data))
		try.Format = format.String()
	}
	stats, err := checkList(data, row.Category, blocklist.ListMeta{Name: row.Name, Format: format})
	if err != nil {
		return try, err
	}
	sum := sha256.Sum256(data)
	try.SHA256 = hex.EncodeToString(sum[:])
	h := listHeader(data)
	try.Expires = h.expires
	try.Rules, try.BadLines = ruleCount(stats), stats.Bad+stats.Inert
	if row.Name == row.URL && h.title != "" {
		try.Name = h.title
	}
	return try, nil
}

func readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("the download is not valid gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, maxListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the download broke off: %w", plainNetErr(err))
	}
	if len(data) > maxListBytes {
		return nil, fmt.Errorf("the list is larger than %d MiB", maxListBytes>>20)
	}
	return data, nil
}

// checkList parses a list as the engine will and refuses one that is not
// usable: nothing usable in it, or more bad lines than rules (garbage).
func checkList(data []byte, category string, meta blocklist.ListMeta) (blocklist.ListStats, error) {
	if looksLikeHTML(data) {
		return blocklist.ListStats{}, errors.New("this is a web page, not a list")
	}
	if head := data[:min(len(data), 64<<10)]; bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimPartialRune(head)) {
		return blocklist.ListStats{}, errors.New("the download is not text (compressed or damaged?)")
	}
	meta.Category = category
	l, err := blocklist.Parse(bytes.NewReader(data), meta)
	if err != nil {
		if errors.Is(err, blocklist.ErrNoRules) {
			return blocklist.ListStats{}, errors.New("the download holds no rule Polaris can use")
		}
		return blocklist.ListStats{}, fmt.Errorf("the download is not a list Polaris can read: %w", err)
	}
	if bad := l.Stats.Bad + l.Stats.Inert; bad > l.Stats.Rules+l.Stats.Entities+l.Stats.Resources {
		return l.Stats, fmt.Errorf("the download is mostly not rules (%d bad lines, %d rules)", bad, l.Stats.Rules)
	}
	return l.Stats, nil
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if r, _ := utf8.DecodeLastRune(b[:len(b)-i]); r != utf8.RuneError || len(b)-i == 0 {
			return b[:len(b)-i]
		}
	}
	return b
}

func ruleCount(s blocklist.ListStats) int {
	if s.Rules > 0 {
		return s.Rules
	}
	return s.Entities + s.Resources
}

// looksLikeHTML reports whether data starts like an HTML document.
func looksLikeHTML(data []byte) bool {
	head := bytes.ToLower(bytes.TrimLeft(data[:min(len(data), 512)], " \t\r\n\ufeff"))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.HasPrefix(head, []byte("<head")) || bytes.HasPrefix(head, []byte("<?xml"))
}

// writeCache stores a list's text: written whole to a temporary file,
// synced, then renamed over the old copy, so a crash never leaves half a
// list. It returns the text's SHA-256.
func (e *Engine) writeCache(id int64, data []byte) (string, error) {
	if err := os.MkdirAll(e.cfg.Dir, 0o700); err != nil {
		return "", err
	}
	if err := atomicfile.Write(e.cachePath(id), data, 0o600); err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// client is the HTTP client for list downloads: through Config.Transport
// (the running proxy's route), or direct when it gives none. It sends no
// cookie and no referrer, even on redirects.
func (e *Engine) client() (*http.Client, error) {
	rt, err := e.cfg.Transport()
	if err != nil {
		return nil, err
	}
	if rt == nil {
		rt = directTransport
	}
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			req.Header.Del("Referer")
			return nil
		},
	}, nil
}

// directTransport downloads lists when Polaris is not running and Config.Transport
// gives none: direct, through the system's resolver.
var directTransport = NewDirectTransport((&net.Dialer{Timeout: 30 * time.Second}).DialContext)

// NewDirectTransport is the transport of downloads while Polaris is not
// running: direct through dial, system roots, no proxy from the
// environment. An .onion address is refused before any name lookup: the
// system resolver may send it to the local network's DNS server, which
// would tell it which hidden service the user subscribes to.
func NewDirectTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           refuseOnion(dial),
		TLSHandshakeTimeout:   20 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		DisableCompression:    true, // gzip is asked for and decoded by hand
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
}

func (e *Engine) userAgent() string {
	v := e.cfg.Version
	if v == "" {
		v = "dev"
	}
	return "Polaris/" + v + " (blocklist update)"
}

// unreachableError is a download that did not reach the list's server
// (no network, a name not found, refused, timed out): worth trying again
// later, unlike an answer that is not a list.
type unreachableError struct {
	msg string
	err error
}

func (e *unreachableError) Error() string   { return e.msg }
func (e *unreachableError) Unwrap() []error { return []error{e.err, errUnreachable} }

var errUnreachable = errors.New("the list's server could not be reached")

// triedErr is the error of a list's last try as its row records it, for a
// process that asked the running Polaris for the update: one that did not
// reach the server is an unreachableError again.
func triedErr(r store.ListRow) error {
	err := errors.New(r.LastError)
	if r.Unreachable {
		return &unreachableError{r.LastError, err}
	}
	return err
}

// plainNetErr shortens network errors to what the user can act on.
func plainNetErr(err error) error {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return &unreachableError{fmt.Sprintf("the server name %s could not be found (no network?)", dnsErr.Name), err}
	case errors.Is(err, context.DeadlineExceeded):
		return &unreachableError{"the server took too long to answer", err}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &unreachableError{err.Error(), err}
	}
	return err
}

// header is what a list says about itself in its first lines.
type header struct {
	title   string
	expires time.Duration
}

var (
	expiresRe = regexp.MustCompile(`(?i)^[!#]\s*expires\s*:\s*(\d{1,6})\s*(h|hours?|d|days?)?\b`)
	titleRe   = regexp.MustCompile(`(?i)^[!#]\s*title\s*:\s*(.{1,200})$`)
)

// Bounds on a list's "! Expires:" period.
const (
	minExpires = time.Hour
	maxExpires = 30 * 24 * time.Hour
)

// listHeader reads the "! Title:" and "! Expires:" lines of an Adblock Plus
// list (or "# ..." in a hosts file) among its first 100 lines. An expiry is
// clamped to 1 hour .. 30 days.
func listHeader(data []byte) header {
	var h header
	rest := data[:min(len(data), 16<<10)]
	for i := 0; i < 100 && len(rest) > 0; i++ {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '[' {
			continue
		}
		if s[0] != '!' && s[0] != '#' {
			break
		}
		if m := expiresRe.FindStringSubmatch(s); m != nil && h.expires == 0 {
			n, _ := strconv.Atoi(m[1])
			n = min(n, 3650) // no overflow; clamped below anyway
			unit := 24 * time.Hour
			if strings.HasPrefix(strings.ToLower(m[2]), "h") {
				unit = time.Hour
			}
			h.expires = min(max(time.Duration(n)*unit, minExpires), maxExpires)
		}
		if m := titleRe.FindStringSubmatch(s); m != nil && h.title == "" {
			h.title = strings.TrimSpace(m[1])
		}
	}
	return h
}

// errOnionNeedsTor is the answer to an .onion address outside Tor.
var errOnionNeedsTor = errors.New("an .onion address can only be reached through Tor: turn Tor on and start Polaris, then update the list")

// refuseOnion wraps a dial function so that .onion names are never looked
// up or dialled.
func refuseOnion(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		if strings.HasSuffix(strings.TrimSuffix(strings.ToLower(host), "."), ".onion") {
			return nil, errOnionNeedsTor
		}
		return dial(ctx, network, addr)
	}
}
