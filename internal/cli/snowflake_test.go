// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"strings"
	"testing"

	"polaris/internal/status"
)

func TestPrintSnowflake(t *testing.T) {
	for _, tc := range []struct {
		st   status.Snowflake
		want []string
	}{
		{status.Snowflake{State: status.SnowflakeOff}, []string{"Snowflake proxy: off"}},
		{status.Snowflake{Enabled: true, State: status.SnowflakeRunning, Capacity: 5, Helped: 3, Restarts: 2},
			[]string{"on, helping at most 5 people at a time", "helped people 3 time(s)", "restarted 2 time(s)"}},
		{status.Snowflake{Enabled: true, State: status.SnowflakeNotInstalled, Err: "The Snowflake proxy program (snowflake-proxy) is not installed on this computer."},
			[]string{"not-installed", "problem: The Snowflake proxy program (snowflake-proxy) is not installed"}},
	} {
		var b strings.Builder
		printSnowflake(&b, tc.st)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("printSnowflake(%+v) = %q; want %q in it", tc.st, b.String(), w)
			}
		}
	}
}
