// SPDX-License-Identifier: GPL-3.0-or-later

package snowflake

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Summary is what one of snowflake-proxy's periodic summary lines says:
// "In the last 1h0m0s, there were 3 connections. Traffic Relayed ↑ 5 KB, ↓ 2 KB."
// (newer versions say "3 completed connections").
type Summary struct {
	// Period is the time the line covers.
	Period time.Duration
	// Connections is the number of people (Snowflake clients) whose
	// connections ended in that time.
	Connections int
}

var summaryRE = regexp.MustCompile(`In the last ([0-9][0-9a-zµ.]*), there were ([0-9]+) (?:completed )?connections?\b`)

// maxConnections bounds one line's count: a proxy cannot serve more
// people than this in one summary period; a larger number is a garbled
// line, not a count to add up.
const maxConnections = 1 << 24

// ParseSummary reads one line of snowflake-proxy's log. ok is false for a
// line that is not a summary (or a garbled one).
func ParseSummary(line string) (s Summary, ok bool) {
	if !strings.Contains(line, "In the last ") {
		return Summary{}, false
	}
	m := summaryRE.FindStringSubmatch(line)
	if m == nil {
		return Summary{}, false
	}
	d, err := time.ParseDuration(m[1])
	if err != nil || d < 0 {
		return Summary{}, false
	}
	n, err := strconv.Atoi(m[2])
	if err != nil || n < 0 || n > maxConnections {
		return Summary{}, false
	}
	return Summary{Period: d, Connections: n}, true
}
