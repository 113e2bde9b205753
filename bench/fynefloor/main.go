// SPDX-License-Identifier: GPL-3.0-or-later

// Command fynefloor is the baseline for scripts/idle.sh: a Fyne app with one
// small window and nothing else, shown or (with -hidden) created and never
// shown, as Polaris's window is when closed to the background. Its idle CPU
// and memory are the toolkit's floor, below which Polaris's window cannot go.
package main

import (
	"flag"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	hidden := flag.Bool("hidden", false, "create the window but never show it")
	flag.Parse()
	a := app.NewWithID("org.polaris.fynefloor")
	w := a.NewWindow("fynefloor")
	w.SetContent(widget.NewLabel("Hello"))
	w.Resize(fyne.NewSize(1000, 720))
	if !*hidden {
		w.Show()
	}
	a.Run()
}
