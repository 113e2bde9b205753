// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"polaris/internal/status"
)

// The "Give back" switch turns the Snowflake proxy on and off, the
// capacity choice sets how many people it helps at once, and the window
// says what it does and how many people it helped.
func TestGiveBackSwitch(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	g := &torScreenOf(h).giveBack
	h.snapshot(running())
	if g.toggle.On {
		t.Fatal("the Snowflake switch is on in a fresh install")
	}
	h.see("Help people in censored countries reach Tor")
	h.see("Their Tor traffic passes through your internet connection")
	h.see("It does not make your own browsing less private, but it uses your bandwidth")
	h.see("no bandwidth limit of its own")
	h.see("Off. Nothing runs")

	test.Tap(g.toggle)
	h.settle()
	if s := lastApply(t, got); !s.Snowflake.Enabled {
		t.Fatal("tapping the switch did not turn the Snowflake proxy on")
	}
	snap := running()
	snap.Snowflake = status.Snowflake{Enabled: true, State: status.SnowflakeRunning, Capacity: 5, Helped: 3, Restarts: 2}
	h.snapshot(snap)
	if !g.toggle.On {
		t.Error("the switch is off while the proxy is on")
	}
	h.see("On: waiting for people to connect, or helping them now.")
	h.see("Helped people 3 times since Polaris started.")
	h.see("restarted 2 times")
	if g.capacity.Selected != "5 people" {
		t.Errorf("capacity shows %q; want 5 people", g.capacity.Selected)
	}

	g.capacity.SetSelected("10 people")
	h.settle()
	if s := lastApply(t, got); s.Snowflake.Capacity != 10 {
		t.Errorf("capacity applied %d; want 10", s.Snowflake.Capacity)
	}

	snap.Snowflake = status.Snowflake{Enabled: true, State: status.SnowflakeNotInstalled, Capacity: 10,
		Err: "The Snowflake proxy program (snowflake-proxy) is not installed on this computer."}
	h.snapshot(snap)
	h.see("The Snowflake proxy cannot run.")
	h.see("is not installed on this computer")

	test.Tap(g.toggle)
	h.settle()
	if s := lastApply(t, got); s.Snowflake.Enabled {
		t.Error("tapping the switch again did not turn the Snowflake proxy off")
	}
}

func TestGiveBackOnePerson(t *testing.T) {
	f := newFake(t)
	f.set.Snowflake.Enabled, f.set.Snowflake.Capacity = true, 7 // set with the command line
	h := newHarness(t, f, "tor")
	g := &torScreenOf(h).giveBack
	snap := running()
	snap.Snowflake = status.Snowflake{Enabled: true, State: status.SnowflakeRunning, Capacity: 7, Helped: 1}
	h.snapshot(snap)
	h.see("Helped someone once since Polaris started.")
	if g.capacity.Selected != "7 people" {
		t.Errorf("a capacity set elsewhere (7) shows as %q", g.capacity.Selected)
	}
}
