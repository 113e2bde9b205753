// SPDX-License-Identifier: GPL-3.0-or-later

package status

// SnowflakeState is what the "give back" Snowflake proxy is doing.
type SnowflakeState string

// Snowflake proxy states.
const (
	SnowflakeOff          SnowflakeState = "off"
	SnowflakeRunning      SnowflakeState = "running"
	SnowflakeRestarting   SnowflakeState = "restarting"    // it stopped on its own and is started again shortly
	SnowflakeFailed       SnowflakeState = "failed"        // it cannot be started (Err says why)
	SnowflakeNotInstalled SnowflakeState = "not-installed" // the snowflake-proxy program is missing
)

// Snowflake is the state of the Snowflake proxy through which people in
// censored countries reach Tor.
type Snowflake struct {
	Enabled bool
	State   SnowflakeState
	// Capacity is the most people it helps at once (its only limit: the
	// program has no bandwidth limit of its own).
	Capacity int
	// Helped counts the connections of people it carried since Polaris
	// started, from the program's periodic summaries (one person who
	// connects twice counts twice; a period cut short by a stop is not
	// counted).
	Helped int
	// Restarts counts the times it was started again after it stopped on
	// its own, since Polaris started.
	Restarts int
	// Err says in words why it stopped or cannot start ("" when none).
	Err string
}
