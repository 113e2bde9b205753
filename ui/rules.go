// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
)

// rules is the My rules tab: the user's own rules, checked as they type.
type rules struct {
	u *UI

	editor       *entry
	status       *widget.Label
	problems     *widget.RichText
	save, revert *button

	saved   string // the text in the settings
	gen     int    // validation generation: older results are dropped
	invalid int    // lines with an error in the current text
	timer   *time.Timer
	// noCheck is set when the engine cannot check rules: saving is then
	// allowed and the engine reports bad lines when it loads them.
	noCheck bool
	saving  bool // a save is queued: re-check once the settings come back
}

// ruleError is one bad line.
type ruleError struct {
	line int
	text string
}

func (r *rules) build() fyne.CanvasObject {
	r.editor = newMultiLineEntry()
	r.editor.TextStyle.Monospace = true
	r.editor.SetMinRowsVisible(14)
	r.editor.SetPlaceHolder(lang.L("! One rule per line, for example:\n||tracker.example^\n@@||shop.example^$document"))
	r.editor.OnChanged = func(string) { r.scheduleCheck() }
	r.status = widget.NewLabel("")
	r.status.Wrapping = fyne.TextWrapWord
	r.problems = widget.NewRichText()
	r.problems.Wrapping = fyne.TextWrapWord
	r.save = newButtonWithIcon(lang.L("Save rules"), theme.DocumentSaveIcon(), r.saveRules)
	r.save.Importance = widget.HighImportance
	r.revert = newButton(lang.L("Undo changes"), func() {
		r.editor.SetText(r.saved)
	})
	r.save.Disable()
	r.revert.Disable()
	return tabPage(section(lang.L("My rules"),
		lang.L("Your own rules, one per line, in the Adblock Plus syntax that EasyList uses. ||tracker.example^ blocks a site everywhere; @@||shop.example^ allows it; lines starting with ! are comments. Each line is checked as you type."),
		r.editor, r.status, r.problems, container.NewHBox(r.save, r.revert)))
}

func (r *rules) update() {
	if r.editor == nil {
		return
	}
	text := r.u.set.Blocking.CustomRules
	if sameRules(text, r.saved) {
		if r.saving { // the save failed: offer it again
			r.saving = false
			r.scheduleCheck()
		}
		return
	}
	r.saving = false
	// Take the stored text unless the user is in the middle of an edit.
	if sameRules(r.editor.Text, r.saved) {
		r.editor.SetText(text)
	}
	r.saved = text
	r.scheduleCheck()
}

// scheduleCheck checks the text shortly after the user stops typing.
func (r *rules) scheduleCheck() {
	r.gen++
	gen := r.gen
	r.save.Disable()
	r.revert.Disable()
	if !sameRules(r.editor.Text, r.saved) {
		r.revert.Enable()
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	text := r.editor.Text
	r.timer = time.AfterFunc(250*time.Millisecond, func() {
		r.u.do(func() {
			if gen == r.gen {
				r.check(gen, text)
			}
		})
	})
}

// check validates text off the Fyne thread.
func (r *rules) check(gen int, text string) {
	u := r.u
	u.bg(func() func() {
		var bad []ruleError
		lines := strings.Split(text, "\n")
		noCheck := false
		if err := u.c.ValidateRule("||example.com^"); err != nil {
			noCheck = true // the engine cannot check rules
		} else {
			for i, line := range lines {
				t := strings.TrimSpace(line)
				if t == "" || strings.HasPrefix(t, "!") || strings.HasPrefix(t, "[") {
					continue
				}
				if err := u.c.ValidateRule(t); err != nil {
					bad = append(bad, ruleError{line: i + 1, text: err.Error()})
				}
			}
		}
		return func() {
			if gen != r.gen {
				return
			}
			r.noCheck = noCheck
			r.showCheck(text, bad)
		}
	})
}

func (r *rules) showCheck(text string, bad []ruleError) {
	r.invalid = len(bad)
	n := 0
	for _, line := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "!") {
			n++
		}
	}
	var segs []widget.RichTextSegment
	switch {
	case r.noCheck:
		r.status.Importance = widget.MediumImportance
		r.status.SetText(lang.L("This version of Polaris cannot check rules yet; lines it cannot read are skipped when the rules load."))
	case len(bad) == 0:
		r.status.Importance = widget.MediumImportance // light green text is hard to read
		r.status.SetText(lang.N("All {{.Count}} rules are valid.", n, map[string]any{"Count": count(n)}))
		if n == 0 {
			r.status.SetText(lang.L("No rules yet."))
			r.status.Importance = widget.MediumImportance
		}
	default:
		r.status.Importance = widget.DangerImportance
		r.status.SetText(lang.N("{{.Count}} lines have a problem. Fix them to save.", len(bad), map[string]any{"Count": len(bad)}))
		for i, b := range bad {
			if i == 8 {
				segs = append(segs, &widget.TextSegment{Text: lang.N("…and {{.Count}} more.", len(bad)-i, map[string]any{"Count": len(bad) - i}),
					Style: widget.RichTextStyle{ColorName: colorMuted}})
				break
			}
			segs = append(segs, &widget.TextSegment{Text: lang.L("Line {{.Line}}: {{.Problem}}", map[string]any{"Line": b.line, "Problem": b.text}),
				Style: widget.RichTextStyle{ColorName: theme.ColorNameError}})
		}
	}
	r.problems.Segments = segs
	r.problems.Refresh()
	if len(segs) == 0 {
		r.problems.Hide()
	} else {
		r.problems.Show()
	}
	if !sameRules(text, r.saved) && (len(bad) == 0 || r.noCheck) {
		r.save.Enable()
	} else {
		r.save.Disable()
	}
}

// sameRules compares rule texts as the settings store them (trimmed).
func sameRules(a, b string) bool { return strings.TrimSpace(a) == strings.TrimSpace(b) }

func (r *rules) saveRules() {
	text := r.editor.Text
	r.save.Disable()
	r.saving = true
	r.u.change(func(s *settings.Settings) error { return s.Set("blocking.custom-rules", text) })
}
