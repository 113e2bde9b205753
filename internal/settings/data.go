// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"time"
)

// Log retention choices.
const (
	LogRetentionHour = time.Hour
	LogRetentionDay  = 24 * time.Hour
	LogRetentionWeek = 7 * 24 * time.Hour
)

// Data are the choices about what Polaris keeps about the user.
type Data struct {
	// LogPersist keeps the request log on disk (opt-in); otherwise it lives
	// in memory only.
	LogPersist bool
	// LogRetention is how long persisted log rows are kept: 1h, 1d or 7d.
	LogRetention time.Duration
	// LogMaxRows bounds the persisted log.
	LogMaxRows int
	// StatsRetentionDays is how long per-day aggregates are kept.
	StatsRetentionDays int
}

var dataKeys = []Key{
	boolKey("log.persist", "keep the request log on disk (on|off; off keeps it in memory only)",
		func(s *Settings) *bool { return &s.Data.LogPersist }),
	{
		Name: "log.retention",
		Help: "how long a persisted request log is kept: 1h, 1d or 7d",
		get:  func(s *Settings) string { return fmtDuration(s.Data.LogRetention) },
		set: func(s *Settings, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return err
			}
			switch d {
			case LogRetentionHour, LogRetentionDay, LogRetentionWeek:
				s.Data.LogRetention = d
				return nil
			}
			return errors.New("want 1h, 1d or 7d")
		},
	},
	intKey("log.max-rows", "most rows a persisted request log keeps (1000 to 10000000)", 1000, 10_000_000,
		func(s *Settings) *int { return &s.Data.LogMaxRows }),
	intKey("stats.retention-days", "days of daily statistics kept (1 to 3650)", 1, 3650,
		func(s *Settings) *int { return &s.Data.StatsRetentionDays }),
}
