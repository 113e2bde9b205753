// SPDX-License-Identifier: GPL-3.0-or-later

package instance

import "polaris/internal/status"

// RunningSnowflake returns the running Polaris's Snowflake proxy status.
func (c Client) RunningSnowflake() (status.Snowflake, error) {
	var st status.Snowflake
	return st, c.ask(VerbSnowflake, &st)
}
