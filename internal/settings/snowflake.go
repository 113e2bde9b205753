// SPDX-License-Identifier: GPL-3.0-or-later

package settings

// Snowflake is the "give back" choice: a Snowflake proxy on this computer
// through which people in censored countries reach Tor. Off by default.
type Snowflake struct {
	// Enabled runs the proxy while Polaris runs.
	Enabled bool
	// Capacity is the most people helped at once. snowflake-proxy has no
	// bandwidth limit of its own; this is the knob that bounds the
	// bandwidth it uses.
	Capacity int
}

// Bounds of Snowflake.Capacity.
const (
	SnowflakeMinCapacity     = 1
	SnowflakeMaxCapacity     = 100
	SnowflakeDefaultCapacity = 5
)

var snowflakeKeys = []Key{
	boolKey("snowflake.enabled", "help people in censored countries reach Tor: run a Snowflake proxy through which their Tor traffic passes (uses your bandwidth; on|off)",
		func(s *Settings) *bool { return &s.Snowflake.Enabled }),
	intKey("snowflake.capacity", "the most people the Snowflake proxy helps at once; it bounds the bandwidth it uses (1-100)",
		SnowflakeMinCapacity, SnowflakeMaxCapacity, func(s *Settings) *int { return &s.Snowflake.Capacity }),
}
