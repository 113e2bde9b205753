package app

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
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"polaris/blocklist"
	"polaris/internal/status"
	"polaris/internal/store"
)

// Subscribed lists: their rows live in the store, their texts in cache
// files in the data dir (lists/<id>.txt, written whole and renamed into
// place). An update downloads through the proxy's route when Polaris runs
// (so with Tor on it goes through Tor), with conditional requests; a copy
// that is not a usable list never replaces the cached one.

// maxListBytes bounds a list download or file.
const maxListBytes = 64 << 20

// defaultInterval is the update interval of a list added by URL.
const defaultInterval = 4 * 24 * time.Hour

// ErrTorNotRunning is returned when a list would have to be downloaded
// while Tor mode is on but Polaris is not running to route it.
var ErrTorNotRunning = errors.New("Tor mode is on, so Polaris downloads lists only through Tor: start Polaris (polaris run) and try again")

func (a *App) listsDir() string { return filepath.Join(a.opts.DataDir, "lists") }

func (a *App) cachePath(id int64) string {
	return filepath.Join(a.listsDir(), strconv.FormatInt(id, 10)+".txt")
}

// store returns the open store, or an error saying why there is none.
func (a *App) store() (*store.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st == nil {
		return nil, fmt.Errorf("%w: %s", ErrDegraded, a.degraded)
	}
	return a.st, nil
}

// AddList subscribes to a list: an http(s) URL, a catalogue id (such as
// "easyprivacy"), or a local file, which is read once and copied into the
// cache. name may be "". The list is downloaded (or read) and checked
// before AddList returns; if that fails nothing is added.
func (a *App) AddList(ctx context.Context, source, name string) error {
	_, err := a.AddListSource(ctx, source, name)
	return err
}

// AddListSource is AddList returning the new list.
func (a *App) AddListSource(ctx context.Context, source, name string) (status.List, error) {
	source = strings.TrimSpace(source)
	name = strings.TrimSpace(name)
	if e, ok := catalogueEntry(source); ok && !strings.HasPrefix(e.URL, builtinPrefix) {
		source = e.URL
	}
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		return a.addURL(ctx, source, name)
	}
	if strings.HasPrefix(source, builtinPrefix) {
		return status.List{}, fmt.Errorf("%q is built into Polaris: enable it with `polaris lists enable`", source)
	}
	if _, err := os.Stat(source); err != nil {
		return status.List{}, fmt.Errorf("%q is neither an http(s) address, a list of the catalogue nor a readable file", source)
	}
	return a.addFile(ctx, source, name)
}

func (a *App) addURL(ctx context.Context, u, name string) (status.List, error) {
	if err := checkListURL(u); err != nil {
		return status.List{}, err
	}
	st, err := a.store()
	if err != nil {
		return status.List{}, err
	}
	row := store.ListRow{Name: name, URL: u, Format: "auto", Enabled: true, Interval: defaultInterval, Added: time.Now()}
	if e, ok := catalogueEntry(u); ok {
		row.Catalogue, row.Format, row.Category, row.License, row.NonCommercial, row.Interval = e.ID, e.Format, e.Category, e.License, e.NonCommercial, e.Interval
		if row.Name == "" {
			row.Name = e.Name
		}
	}
	if row.Name == "" {
		row.Name = u // replaced by the list's own title once downloaded
	}
	id, err := st.AddList(ctx, row)
	if errors.Is(err, store.ErrDuplicate) {
		return status.List{}, fmt.Errorf("%s is already subscribed", u)
	}
	if err != nil {
		return status.List{}, err
	}
	if err := a.updateNow(ctx, id); err != nil {
		// The first download failed: the subscription goes too.
		st.RemoveList(context.WithoutCancel(ctx), id)
		os.Remove(a.cachePath(id))
		a.listsChanged(ctx)
		return status.List{}, fmt.Errorf("nothing was added: %w", err)
	}
	return a.listStatus(ctx, id)
}

func (a *App) addFile(ctx context.Context, path, name string) (status.List, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return status.List{}, err
	}
	data, err := readLimited(abs)
	if err != nil {
		return status.List{}, fmt.Errorf("reading %s: %w", abs, err)
	}
	format := blocklist.DetectFormat(string(data))
	stats, err := checkList(data, "", blocklist.ListMeta{Name: abs, Format: format})
	if err != nil {
		return status.List{}, fmt.Errorf("%s: %w", abs, err)
	}
	st, err := a.store()
	if err != nil {
		return status.List{}, err
	}
	if name == "" {
		name = listHeader(data).title
	}
	if name == "" {
		name = filepath.Base(abs)
	}
	id, err := st.AddList(ctx, store.ListRow{Name: name, Origin: abs, Format: format.String(), Enabled: true, Added: time.Now()})
	if err != nil {
		return status.List{}, err
	}
	sum, err := a.writeCache(id, data)
	if err == nil {
		err = st.SaveListTry(ctx, id, store.ListTry{Time: time.Now(), Changed: true, Rules: ruleCount(stats), BadLines: stats.Bad + stats.Inert, SHA256: sum})
	}
	if err != nil {
		st.RemoveList(context.WithoutCancel(ctx), id)
		os.Remove(a.cachePath(id))
		return status.List{}, fmt.Errorf("copying %s into Polaris: %w", abs, err)
	}
	a.listsChanged(ctx)
	return a.listStatus(ctx, id)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxListBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxListBytes {
		return nil, fmt.Errorf("larger than %d MiB", maxListBytes>>20)
	}
	return data, nil
}

// RemoveList unsubscribes from a list and deletes its cached copy.
func (a *App) RemoveList(ctx context.Context, id int64) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	if err := st.RemoveList(ctx, id); err != nil {
		return plainListErr(err, id)
	}
	if err := os.Remove(a.cachePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Printf("removing the copy of list %d: %v", id, err)
	}
	a.listsChanged(ctx)
	return nil
}

// SetListEnabled switches a list on or off. A list switched on that has
// never been downloaded is downloaded by the running Polaris.
func (a *App) SetListEnabled(ctx context.Context, id int64, on bool) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	if err := st.SetListEnabled(ctx, id, on); err != nil {
		return plainListErr(err, id)
	}
	a.listsChanged(ctx)
	return nil
}

// SetListInterval sets how often a list updates: 0 (off), 12 h, 1, 4 or 7
// days.
func (a *App) SetListInterval(ctx context.Context, id int64, every time.Duration) error {
	if !slices.Contains(listIntervals, every) {
		return fmt.Errorf("update interval %v: want off, 12h, 1d, 4d or 7d", every)
	}
	st, err := a.store()
	if err != nil {
		return err
	}
	if err := st.SetListInterval(ctx, id, every); err != nil {
		return plainListErr(err, id)
	}
	a.listsChanged(ctx)
	return nil
}

// UpdateLists updates one list now, or every enabled list when id is 0,
// and returns once done. Lists that are not downloaded (built-in, local
// copies) are left alone.
func (a *App) UpdateLists(ctx context.Context, id int64) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	var ids []int64
	if id != 0 {
		r, err := st.List(ctx, id)
		if err != nil {
			return plainListErr(err, id)
		}
		if !isDownloaded(r) {
			return fmt.Errorf("list %d (%s) is not downloaded from an address, so there is nothing to update", id, r.Name)
		}
		ids = []int64{id}
	} else {
		rows, err := st.Lists(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Enabled && isDownloaded(r) {
				ids = append(ids, r.ID)
			}
		}
	}
	var errs []error
	for _, id := range ids {
		if err := a.updateNow(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func isDownloaded(r store.ListRow) bool {
	return strings.HasPrefix(r.URL, "http://") || strings.HasPrefix(r.URL, "https://")
}

func plainListErr(err error, id int64) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no list %d (see `polaris lists`)", id)
	}
	return err
}

// updateNow updates one list and waits for the result: here when this App
// runs the proxy, by the running Polaris when another process runs it
// (asked through the database), else directly (refused in Tor mode).
func (a *App) updateNow(ctx context.Context, id int64) error {
	if a.blk.proxy.Load() != nil || !a.RunningElsewhere() {
		return a.updateList(ctx, id, true)
	}
	st, err := a.store()
	if err != nil {
		return err
	}
	asked := time.Now()
	if err := st.AskListUpdate(ctx, id, asked); err != nil {
		return plainListErr(err, id)
	}
	wait, cancel := context.WithTimeout(ctx, a.opts.ListTimeout+10*time.Second)
	defer cancel()
	for {
		r, err := st.List(wait, id)
		if err != nil {
			return plainListErr(err, id)
		}
		if r.UpdateAsked.IsZero() {
			if r.LastError != "" && !r.LastTry.Before(asked.Truncate(time.Second)) {
				return fmt.Errorf("%s: %s", r.Name, r.LastError)
			}
			return nil
		}
		select {
		case <-wait.Done():
			return errors.New("the running Polaris did not update the list in time; see `polaris lists` later")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// updateList downloads one list, checks it and, if it is new and usable,
// stores it and (when rebuild is set and Polaris runs) swaps in a matcher
// that uses it. Whatever happens is recorded on the list's row.
func (a *App) updateList(ctx context.Context, id int64, rebuild bool) error {
	a.blk.updateMu.Lock()
	defer a.blk.updateMu.Unlock()
	st, err := a.store()
	if err != nil {
		return err
	}
	row, err := st.List(ctx, id)
	if err != nil {
		return plainListErr(err, id)
	}
	if !isDownloaded(row) {
		return nil
	}
	a.setUpdating(id, true)
	defer a.setUpdating(id, false)
	try, err := a.download(ctx, row)
	try.Time = time.Now()
	if err != nil {
		try.Err = err.Error()
		a.log.Printf("updating list %q: %v (the copy Polaris has is kept)", row.Name, err)
	}
	if serr := st.SaveListTry(context.WithoutCancel(ctx), id, try); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		a.refreshLists(ctx)
		return fmt.Errorf("%s: %w", row.Name, err)
	}
	if try.Changed && rebuild {
		a.listsChanged(ctx)
	} else {
		a.refreshLists(ctx)
	}
	return nil
}

// download fetches a list, conditionally when a copy is cached, and stores
// a new usable copy in the cache. The result says what to record.
func (a *App) download(ctx context.Context, row store.ListRow) (store.ListTry, error) {
	var try store.ListTry
	client, err := a.listClient()
	if err != nil {
		return try, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.ListTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, row.URL, nil)
	if err != nil {
		return try, err
	}
	req.Header.Set("User-Agent", a.userAgent())
	req.Header.Set("Accept", "text/plain, application/json;q=0.9, */*;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	cached := row.SHA256 != "" && fileExists(a.cachePath(row.ID))
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
		return try, plainNetErr(err)
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
	try.ETag, try.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	h := listHeader(data)
	try.Expires = h.expires
	try.Rules, try.BadLines = ruleCount(stats), stats.Bad+stats.Inert
	if row.Name == row.URL && h.title != "" {
		try.Name = h.title
	}
	if try.SHA256 == row.SHA256 && cached {
		return try, nil // the same list again (a server without validators)
	}
	if _, err := a.writeCache(row.ID, data); err != nil {
		return try, fmt.Errorf("storing the list: %w", err)
	}
	try.Changed = true
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
func (a *App) writeCache(id int64, data []byte) (string, error) {
	if err := os.MkdirAll(a.listsDir(), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(a.listsDir(), ".download-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, a.cachePath(id))
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// listClient is the HTTP client for list downloads: through the running
// proxy's route, or direct when Polaris does not run (refused in Tor
// mode). It sends no cookie and no referrer, even on redirects.
func (a *App) listClient() (*http.Client, error) {
	var rt http.RoundTripper
	if p := a.blk.proxy.Load(); p != nil {
		rt = p
	} else {
		if a.Settings().Tor.Enabled {
			return nil, ErrTorNotRunning
		}
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

// directTransport downloads lists when Polaris is not running: direct,
// system roots, no proxy from the environment.
var directTransport = &http.Transport{
	Proxy:                 nil,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   20 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	DisableCompression:    true, // gzip is asked for and decoded by hand
	MaxIdleConns:          4,
	IdleConnTimeout:       30 * time.Second,
}

func (a *App) userAgent() string {
	v := a.opts.Version
	if v == "" {
		v = "dev"
	}
	return "Polaris/" + v + " (blocklist update)"
}

// plainNetErr shortens network errors to what the user can act on.
func plainNetErr(err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("the server name %s could not be found (no network?)", dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("the server took too long to answer")
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

// nextUpdate returns when a list is due for an update (zero: never
// automatically): right away when never downloaded or asked for by
// another process; after a failure, after a back-off that grows with each
// failure (5 min, 15 min, 45 min ... up to 6 h); else after its interval,
// or earlier when the list's own Expires says so.
func nextUpdate(r store.ListRow) time.Time {
	if !r.Enabled || !isDownloaded(r) {
		return time.Time{}
	}
	if !r.UpdateAsked.IsZero() {
		return r.UpdateAsked
	}
	period := r.Interval
	if r.Expires > 0 && period > 0 && r.Expires < period {
		period = r.Expires
	}
	if r.SHA256 == "" && r.Failures == 0 {
		return r.Added // never downloaded
	}
	if r.Failures > 0 {
		back := 5 * time.Minute
		for i := 1; i < r.Failures && back < 6*time.Hour; i++ {
			back *= 3
		}
		back = min(back, 6*time.Hour)
		if period > 0 && r.SHA256 != "" {
			back = min(back, period)
		}
		if period == 0 && r.SHA256 != "" {
			return time.Time{}
		}
		return r.LastTry.Add(back)
	}
	if period == 0 {
		return time.Time{}
	}
	return r.LastSuccess.Add(period)
}
