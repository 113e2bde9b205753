// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ListIntervals are the update intervals a subscribed list may have, in the
// order the window offers them: off (only when asked), 12 hours, 1, 4 and 7
// days. The window, the command line, the catalogue and data imports all
// accept exactly these.
var ListIntervals = []time.Duration{0, 12 * time.Hour, 24 * time.Hour, 4 * 24 * time.Hour, 7 * 24 * time.Hour}

// errListInterval says which intervals there are.
const errListInterval = "want off, 12h, 1d, 4d or 7d"

// CheckListInterval returns an error unless d is one of ListIntervals.
func CheckListInterval(d time.Duration) error {
	if !slices.Contains(ListIntervals, d) {
		return fmt.Errorf("update interval %v: %s", d, errListInterval)
	}
	return nil
}

// ParseListInterval reads an update interval: "off" (or "0"), a number of
// days ("4d") or a duration ("12h", "96h"); it must be one of
// ListIntervals.
func ParseListInterval(s string) (time.Duration, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "off" || v == "0" {
		return 0, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, aerr := strconv.Atoi(days)
		if aerr != nil || n < 0 || n > 366 {
			return 0, fmt.Errorf("update interval %q: %s", s, errListInterval)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || !slices.Contains(ListIntervals, d) {
		return 0, fmt.Errorf("update interval %q: %s", s, errListInterval)
	}
	return d, nil
}

// FormatListInterval is the inverse of ParseListInterval: "off", "12h",
// "1d", "4d", "7d".
func FormatListInterval(d time.Duration) string {
	switch {
	case d == 0:
		return "off"
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}
