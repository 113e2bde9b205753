// SPDX-License-Identifier: GPL-3.0-or-later

package instance

import (
	"errors"
	"testing"

	"polaris/internal/status"
)

func TestRunningSnowflake(t *testing.T) {
	dir := t.TempDir()
	c := Client{Dir: dir}
	if _, err := c.RunningSnowflake(); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("RunningSnowflake with nothing running = %v, want ErrNoInstance", err)
	}
	serveFake(t, dir)
	st, err := c.RunningSnowflake()
	want := status.Snowflake{Enabled: true, State: status.SnowflakeRunning, Capacity: 5, Helped: 4, Restarts: 1}
	if err != nil || st != want {
		t.Errorf("RunningSnowflake() = %+v, %v; want %+v", st, err, want)
	}
}
