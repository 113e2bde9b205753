// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// giveBack is the Tor screen's "Give back" section: a switch that runs a
// Snowflake proxy for people in censored countries, how many it may help
// at once, and how many it has helped.
type giveBack struct {
	u *UI

	toggle     *Toggle
	capacity   *selectBox
	capacities []int // the choices of capacity, in the order shown
	state      *widget.Label
	errText    *callout
}

// capacityChoices are the numbers of people offered in the window (the
// command line takes any from settings.SnowflakeMinCapacity to Max).
var capacityChoices = []int{1, 2, 3, 5, 10, 20, 50}

func (g *giveBack) build() fyne.CanvasObject {
	u := g.u
	g.toggle = NewToggle(lang.L("Help people in censored countries reach Tor"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Snowflake.Enabled = on; return nil })
	})
	g.capacity = newSelect(nil, func(choice string) {
		i := slices.Index(g.capacity.Options, choice)
		if i < 0 || i >= len(g.capacities) {
			return
		}
		n := g.capacities[i]
		u.change(func(s *settings.Settings) error { s.Snowflake.Capacity = n; return nil })
	})
	g.state = wrapped("")
	g.errText = newCallout(status.Error, "", nil)
	return section(lang.L("Give back"),
		lang.L("Tor is run by volunteers. You can help people in countries that block Tor reach it, as Snowflake volunteers do."),
		switchRow(lang.L("Help people in censored countries reach Tor"),
			lang.L("Polaris runs a Snowflake proxy: people whose country blocks Tor connect to the Tor network through this computer, as a WebRTC peer. Their Tor traffic passes through your internet connection, encrypted: you cannot read it, and the sites they visit see a Tor relay, not you. It does not make your own browsing less private, but it uses your bandwidth while someone is connected, and your network can see that this computer takes part in Snowflake."),
			g.toggle),
		g.state, g.errText.obj,
		controlRow(lang.L("People helped at once"),
			lang.L("The Snowflake proxy has no bandwidth limit of its own: Polaris limits how many people it helps at the same time, which bounds the bandwidth it can use."),
			g.capacity))
}

func (g *giveBack) update() {
	set, snap := g.u.set.Snowflake, g.u.snap.Snowflake
	g.toggle.SetOn(set.Enabled)

	g.capacities = slices.Clone(capacityChoices)
	if !slices.Contains(g.capacities, set.Capacity) && set.Capacity > 0 {
		g.capacities = append(g.capacities, set.Capacity)
		slices.Sort(g.capacities)
	}
	opts := make([]string, len(g.capacities))
	for i, n := range g.capacities {
		opts[i] = lang.N("{{.Count}} people", n, map[string]any{"Count": n})
	}
	g.capacity.Options = opts
	if i := slices.Index(g.capacities, set.Capacity); i >= 0 {
		g.capacity.SetSelected(opts[i])
	}
	g.capacity.Refresh()

	g.state.SetText(giveBackState(set, snap))
	if set.Enabled && snap.Err != "" && snap.State != status.SnowflakeRunning {
		g.errText.set(status.Error, sentence(snap.Err))
	} else {
		g.errText.set(status.Error, "")
	}
}

// giveBackState says in words what the Snowflake proxy does and has done.
func giveBackState(set settings.Snowflake, snap status.Snowflake) string {
	var text string
	switch {
	case !set.Enabled:
		text = lang.L("Off. Nothing runs and no one connects through this computer.")
	case snap.State == status.SnowflakeRunning:
		text = lang.L("On: waiting for people to connect, or helping them now.")
	case snap.State == status.SnowflakeRestarting:
		text = lang.L("The Snowflake proxy stopped unexpectedly; Polaris starts it again in a moment.")
	case snap.State == status.SnowflakeNotInstalled, snap.State == status.SnowflakeFailed:
		text = lang.L("The Snowflake proxy cannot run.")
	default:
		text = lang.L("Starting…")
	}
	if snap.Helped > 0 || set.Enabled {
		text += " " + lang.N("Helped people {{.Count}} times since Polaris started.", snap.Helped, map[string]any{"Count": snap.Helped})
	}
	if snap.Restarts > 0 {
		text += " " + lang.N("It stopped unexpectedly and was restarted {{.Count}} times.", snap.Restarts, map[string]any{"Count": snap.Restarts})
	}
	return text
}
