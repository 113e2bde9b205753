// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"strconv"
	"strings"
	"time"
)

// Parsers for the text Tor's control port sends. Tor is ours, but its output
// is still parsed defensively: every parser accepts any input without
// panicking (see the Fuzz targets) and ignores what it does not know.

// splitReply splits a control-port line into positional words and KEY=VALUE
// arguments. Values may be quoted ("..." with backslash escapes), and so may
// positional words; a quoted value may contain spaces. bine's own event
// parser splits on every space, which garbles SUMMARY="Loading relay
// descriptors", hence this one.
func splitReply(s string) (words []string, args map[string]string) {
	args = map[string]string{}
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return words, args
		}
		var tok, key string
		isKV := false
		if s[0] != '"' {
			end := strings.IndexAny(s, " =\"")
			if end > 0 && s[end] == '=' && isKeyword(s[:end]) {
				key, isKV = s[:end], true
				s = s[end+1:]
			}
		}
		tok, s = nextValue(s)
		if isKV {
			args[key] = tok
		} else {
			words = append(words, tok)
		}
	}
}

// isKeyword reports whether s can be the KEY of a KEY=VALUE argument.
func isKeyword(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	})
}

// nextValue reads one value, quoted or not, and returns it and the rest.
func nextValue(s string) (string, string) {
	if s == "" || s[0] != '"' {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			return s, ""
		}
		return s[:end], s[end:]
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte(s[i])
				}
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "" // unterminated: take the rest
}

// statusEvent is a STATUS_CLIENT / STATUS_GENERAL event, or the value of
// GETINFO status/bootstrap-phase: "NOTICE BOOTSTRAP PROGRESS=50 TAG=...
// SUMMARY=\"...\"".
type statusEvent struct {
	Severity string // NOTICE, WARN or ERR
	Action   string // BOOTSTRAP, CLOCK_SKEW, ...
	Args     map[string]string
}

func parseStatus(raw string) statusEvent {
	words, args := splitReply(raw)
	ev := statusEvent{Args: args}
	if len(words) > 0 {
		ev.Severity = words[0]
	}
	if len(words) > 1 {
		ev.Action = words[1]
	}
	return ev
}

// progress returns the PROGRESS percentage of a bootstrap event, clamped to
// 0-100, and whether there was one.
func (e statusEvent) progress() (int, bool) {
	p, err := strconv.Atoi(e.Args["PROGRESS"])
	if err != nil {
		return 0, false
	}
	return min(max(p, 0), 100), true
}

// hop is one relay of a circuit path.
type hop struct {
	Fingerprint string // 40 hex digits, no "$"
	Nickname    string
}

// circuitLine is one line of GETINFO circuit-status (or a CIRC event).
type circuitLine struct {
	ID      string
	Status  string // LAUNCHED, BUILT, EXTENDED, FAILED, CLOSED, ...
	Path    []hop
	Purpose string
	Created time.Time
	// User and Pass are the SOCKS credentials of the streams the circuit
	// is isolated to; HasUser is false for a circuit not yet claimed.
	User, Pass string
	HasUser    bool
}

func parseCircuit(line string) (circuitLine, bool) {
	words, args := splitReply(line)
	if len(words) < 2 {
		return circuitLine{}, false
	}
	c := circuitLine{ID: words[0], Status: words[1], Purpose: args["PURPOSE"]}
	if len(words) > 2 {
		for _, h := range strings.Split(words[2], ",") {
			c.Path = append(c.Path, parseHop(h))
		}
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", args["TIME_CREATED"]); err == nil {
		c.Created = t
	}
	c.User, c.HasUser = args["SOCKS_USERNAME"]
	c.Pass = args["SOCKS_PASSWORD"]
	return c, true
}

// parseHop parses "$FP~nick", "$FP=nick", "$FP" or a bare nickname.
func parseHop(s string) hop {
	if !strings.HasPrefix(s, "$") {
		return hop{Nickname: s}
	}
	s = s[1:]
	if i := strings.IndexAny(s, "~="); i >= 0 {
		return hop{Fingerprint: strings.ToUpper(s[:i]), Nickname: s[i+1:]}
	}
	return hop{Fingerprint: strings.ToUpper(s)}
}

// streamLine is a STREAM event.
type streamLine struct {
	ID      string
	Status  string // NEW, SENTCONNECT, SUCCEEDED, FAILED, CLOSED, ...
	Circuit string // "0" when not attached
	Target  string
	User    string
	HasUser bool
}

func parseStream(line string) (streamLine, bool) {
	words, args := splitReply(line)
	if len(words) < 4 {
		return streamLine{}, false
	}
	s := streamLine{ID: words[0], Status: words[1], Circuit: words[2], Target: words[3]}
	s.User, s.HasUser = args["SOCKS_USERNAME"]
	return s, true
}

// parseNS returns the IP address in the "r" line of a GETINFO ns/id/...
// answer ("r nick identity [digest] date time IP ORPort DirPort"), or "".
func parseNS(doc string) string {
	for _, line := range strings.Split(doc, "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && f[0] == "r" {
			return f[len(f)-3]
		}
	}
	return ""
}

// parseVersion parses "Tor version 0.4.9.11." or "0.4.9.11" into numbers.
func parseVersion(s string) ([]int, bool) {
	f := strings.Fields(s)
	for i, w := range f {
		if strings.EqualFold(w, "version") && i+1 < len(f) {
			s = f[i+1]
			break
		}
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if i := strings.IndexAny(s, "- ("); i >= 0 {
		s = s[:i]
	}
	var out []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) >= 3
}

// versionLess reports whether version a is older than b.
func versionLess(a, b []int) bool {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}
