// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import "testing"

func TestSnowflakeSettings(t *testing.T) {
	s := Default()
	if s.Snowflake.Enabled {
		t.Fatal("the Snowflake proxy is on in a fresh install; want off (opt-in)")
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, value string
		ok         bool
	}{
		{"snowflake.enabled", "on", true},
		{"snowflake.enabled", "maybe", false},
		{"snowflake.capacity", "10", true},
		{"snowflake.capacity", "0", false},
		{"snowflake.capacity", "101", false},
		{"snowflake.capacity", "ten", false},
	} {
		c := Default()
		err := c.Set(tc.key, tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("Set(%s, %q) = %v; want ok=%v", tc.key, tc.value, err, tc.ok)
		}
		if !tc.ok && !Equal(c, Default()) {
			t.Errorf("Set(%s, %q) failed but changed the settings", tc.key, tc.value)
		}
	}
	bad := Default()
	bad.Snowflake.Capacity = 0
	if bad.Validate() == nil {
		t.Error("Validate accepted snowflake.capacity 0")
	}
	on := Default()
	on.Snowflake.Enabled = true
	if w := Widening(Default(), on); len(w) != 1 || w[0].Key != "snowflake.enabled" {
		t.Errorf("turning the Snowflake proxy on widens %v; want snowflake.enabled named", w)
	}
}
