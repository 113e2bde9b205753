// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"polaris/blocklist"
)

// Match implements `polaris match --list FILE [--list FILE...] [--stats]
// [--timing]`: it decides requests read from stdin against the lists and
// writes one JSON line per request to stdout, in order.
//
// Input is TSV (url, source_url, type; a header line "url..." is skipped;
// source and type may be left out) or JSON lines with "url", "sourceUrl"
// and "type". Each output line is
// {"url","verdict":"block|allow","rule","list",...} with the finer action,
// reason, category and redirect when there are any. A malformed input line
// gets {"line":N,"error":"..."} in its place and a message on stderr.
//
// --stats prints each list's counts and skipped lines on stderr. --timing
// prints "timing: parse_ms=N p50_us=N p99_us=N mean_us=N n=N heap_mb=N" on
// stderr: parse and compile time, the decision time percentiles measured
// around the decision alone (no I/O), and the heap the compiled matcher
// holds.
//
// It returns 0, or 2 for a bad command line, an unreadable or unusable list
// or malformed input.
func Match(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return match(args, stdin, stdout, stderr, time.Now)
}

// match is Match with its clock: now times the parse and each decision.
func match(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	const exitOK, exitUsage = 0, 2
	fs := flag.NewFlagSet("match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lists listFlag
	fs.Var(&lists, "list", "a list file (Adblock Plus, hosts, domains, Disconnect, DuckDuckGo TDS/config, resources); repeatable")
	stats := fs.Bool("stats", false, "print parse counts and skipped lines of each list on stderr")
	timing := fs.Bool("timing", false, "print parse time, decision time percentiles and matcher heap on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: polaris match --list FILE [--list FILE...] [--stats] [--timing] < requests")
		fmt.Fprintln(stderr, "requests: TSV url<TAB>source_url<TAB>type (header line optional) or JSON lines {\"url\",\"sourceUrl\",\"type\"}")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if len(lists) == 0 || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}

	heapBefore := heapInUse()
	start := now()
	m, parsed, err := loadMatcher(lists)
	parseTime := now().Sub(start)
	if *stats {
		printListStats(stderr, parsed, m)
	}
	if err != nil {
		fmt.Fprintf(stderr, "polaris match: %v\n", err)
		return exitUsage
	}
	parsed = nil
	heap := heapInUse() - heapBefore

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var durations []time.Duration
	bad := 0
	r := &blocklist.Request{}
	err = readRequests(stdin, func(line int, in request, perr error) {
		if perr != nil {
			bad++
			fmt.Fprintf(stderr, "polaris match: input line %d: %v\n", line, perr)
			_ = enc.Encode(lineError{Line: line, Error: perr.Error()})
			return
		}
		v, d := timedMatch(m, r, in, now)
		durations = append(durations, d)
		_ = enc.Encode(newResult(in.URL, v))
	})
	if err != nil {
		fmt.Fprintf(stderr, "polaris match: reading requests: %v\n", err)
		return exitUsage
	}
	if *timing {
		out.Flush()
		p50, p99, mean := summarize(durations)
		fmt.Fprintf(stderr, "timing: parse_ms=%.1f p50_us=%.3f p99_us=%.3f mean_us=%.3f n=%d heap_mb=%.1f\n",
			float64(parseTime.Microseconds())/1000, us(p50), us(p99), us(mean), len(durations), float64(heap)/(1<<20))
	}
	if bad > 0 {
		return exitUsage
	}
	return exitOK
}

// timedMatch decides one request and returns how long the decision took.
// The timed region is filling r and the match call, nothing else: reading
// the input and writing the result are outside it.
func timedMatch(m *blocklist.Matcher, r *blocklist.Request, in request, now func() time.Time) (blocklist.Verdict, time.Duration) {
	typ := blocklist.ParseResourceType(in.Type)
	t0 := now()
	r.Reset(in.URL, in.SourceURL, typ)
	v := m.Match(r)
	return v, now().Sub(t0)
}

// listFlag collects repeated --list flags.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty file name")
	}
	*l = append(*l, v)
	return nil
}

// loadMatcher parses the list files and compiles them with Polaris's
// defaults (owners decide parties).
func loadMatcher(files []string) (*blocklist.Matcher, []*blocklist.List, error) {
	var lists []*blocklist.List
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, lists, fmt.Errorf("opening list: %w", err)
		}
		l, err := blocklist.Parse(f, blocklist.ListMeta{Name: filepath.Base(name), Source: name})
		f.Close()
		if l != nil {
			lists = append(lists, l)
		}
		if err != nil {
			return nil, lists, err
		}
	}
	m, err := blocklist.Compile(lists, blocklist.Options{OwnerParties: true})
	return m, lists, err
}

func printListStats(w io.Writer, lists []*blocklist.List, m *blocklist.Matcher) {
	for _, l := range lists {
		s := l.Stats
		fmt.Fprintf(w, "list %s (%s): lines=%d rules=%d exceptions=%d entities=%d resources=%d cosmetic=%d ignored=%d inert=%d bad=%d\n",
			l.Meta.Name, l.Meta.Format, s.Lines, s.Rules, s.Exceptions, s.Entities, s.Resources, s.Cosmetic, s.Ignored, s.Inert, s.Bad)
		for _, e := range l.Errors {
			fmt.Fprintf(w, "  %s: %v\n", l.Meta.Name, e)
		}
		if n := s.Inert + s.Bad; n > len(l.Errors) {
			fmt.Fprintf(w, "  %s: ... and %d more\n", l.Meta.Name, n-len(l.Errors))
		}
	}
	if m != nil {
		s := m.Stats()
		fmt.Fprintf(w, "matcher: lists=%d rules=%d exceptions=%d badfiltered=%d trackers=%d entities=%d resources=%d memory_mb=%.1f\n",
			s.Lists, s.Rules, s.Exceptions, s.Badfiltered, s.Trackers, s.Entities, s.Resources, float64(s.MemoryBytes)/(1<<20))
	}
}

// request is one input request.
type request struct {
	URL       string `json:"url"`
	SourceURL string `json:"sourceUrl"`
	Type      string `json:"type"`
}

// maxLine bounds an input line (a URL can be long, not endless).
const maxLine = 1 << 20

// readRequests calls fn for every request line of r, with its line number.
// It strips the line terminator, LF or CRLF; only the first non-blank line
// may be a header (its first field "url"), which is skipped.
func readRequests(r io.Reader, fn func(line int, in request, err error)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	first := true
	for {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, errLineTooLong) {
				n++
				fn(n, request{}, err)
				continue
			}
			return err
		}
		if line == "" && errors.Is(err, io.EOF) {
			return nil
		}
		n++
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if strings.TrimSpace(line) != "" {
			in, perr := parseRequest(line, first)
			if !(first && perr == errHeader) {
				fn(n, in, perr)
			}
			first = false
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

var (
	errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLine)
	errHeader      = errors.New("header")
)

// readLine reads one line of at most maxLine bytes; a longer line is
// consumed and reported as errLineTooLong.
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := br.ReadSlice('\n')
		if b.Len()+len(chunk) > maxLine {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			return "", errLineTooLong
		}
		b.Write(chunk)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return b.String(), err
		}
	}
}

// parseRequest parses one input line without its terminator: a JSON object,
// or TSV fields trimmed of spaces. With first set, a TSV line whose first
// field is "url" is a header: errHeader.
func parseRequest(line string, first bool) (request, error) {
	var in request
	if strings.HasPrefix(strings.TrimSpace(line), "{") {
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			return in, fmt.Errorf("bad JSON: %w", err)
		}
	} else {
		f := strings.Split(line, "\t")
		for i := range f {
			f[i] = strings.Trim(f[i], " ")
		}
		if first && strings.EqualFold(f[0], "url") {
			return in, errHeader
		}
		if len(f) > 3 {
			return in, fmt.Errorf("want url<TAB>source_url<TAB>type, got %d fields", len(f))
		}
		in.URL = f[0]
		if len(f) > 1 {
			in.SourceURL = f[1]
		}
		if len(f) > 2 {
			in.Type = f[2]
		}
	}
	if in.URL == "" {
		return in, errors.New("no url")
	}
	return in, nil
}

// result is one output line.
type result struct {
	URL      string `json:"url"`
	Verdict  string `json:"verdict"` // block or allow
	Rule     string `json:"rule"`
	List     string `json:"list"`
	Action   string `json:"action"` // allow, block, exception, redirect
	Reason   string `json:"reason,omitempty"`
	Category string `json:"category,omitempty"`
	Redirect string `json:"redirect,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Tracker  bool   `json:"tracker,omitempty"`
}

type lineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func newResult(url string, v blocklist.Verdict) result {
	verdict := "allow"
	if v.Action.Blocked() {
		verdict = "block"
	}
	return result{URL: url, Verdict: verdict, Rule: v.Rule, List: v.List, Action: v.Action.String(),
		Reason: v.Reason.String(), Category: v.Category, Redirect: v.Redirect, Owner: v.Owner, Tracker: v.Tracker}
}

// summarize returns the median, the 99th percentile and the mean of d
// (zeros for none), without reordering d.
func summarize(d []time.Duration) (p50, p99, mean time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return percentile(s, 50), percentile(s, 99), sum / time.Duration(len(s))
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value that at least p% of the values
// are less than or equal to. sorted must not be empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n), 1-based
	return sorted[max(rank, 1)-1]
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func cmdMatch(e *Env, _ Options, args []string) int {
	return Match(args, e.Stdin, e.Stdout, e.Stderr)
}
