// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
)

// blockingScreen: protection level and categories, lists, allowed sites,
// the user's own rules and the live log, as tabs.
type blockingScreen struct {
	u    *UI
	tabs *container.AppTabs

	preset        *radioGroup
	presetOptions []string
	cats          map[settings.Category]*Toggle
	hold, owner   *Toggle
	dntPolicy     *Toggle

	allowEntry *entry
	allowAdd   *button
	allowErr   *widget.Label
	allowRows  *fyne.Container
	shownAllow string

	lists   lists
	rules   rules
	log     liveLog
	stealth stealth
}

func (b *blockingScreen) build() fyne.CanvasObject {
	b.lists.u, b.rules.u, b.log.u, b.stealth.u = b.u, b.u, b.u, b.u
	b.tabs = container.NewAppTabs(
		container.NewTabItem(lang.L("Protection"), b.buildProtection()),
		container.NewTabItem(lang.L("Cookies & headers"), b.stealth.build()),
		container.NewTabItem(lang.L("Lists"), b.lists.build()),
		container.NewTabItem(lang.L("Allowed sites"), b.buildAllowlist()),
		container.NewTabItem(lang.L("My rules"), b.rules.build()),
		container.NewTabItem(lang.L("Recent activity"), b.log.build()),
	)
	b.tabs.OnSelected = func(*container.TabItem) { b.tabShown() }
	return container.New(layout.NewCustomPaddedLayout(6, 0, 20, 20),
		container.NewBorder(title(lang.L("Blocking")), nil, nil, nil, b.tabs))
}

// tab names, for tests and screenshots.
const (
	tabProtection = iota
	tabStealth
	tabLists
	tabAllowed
	tabRules
	tabLog
)

// tabIDs name the tabs for Options.Screen.
var tabIDs = []string{"protection", "stealth", "lists", "allowed", "rules", "activity"}

// selectTab opens the tab with that id.
func (b *blockingScreen) selectTab(id string) {
	if i := slices.Index(tabIDs, id); i >= 0 && b.tabs != nil {
		b.tabs.SelectIndex(i)
	}
}

func (b *blockingScreen) tabShown() {
	if b.tabs.SelectedIndex() == tabLog {
		b.log.reload()
	}
}

func (b *blockingScreen) shown() { b.tabShown() }

// logChanged is called when the engine has new decisions.
func (b *blockingScreen) logChanged() {
	if b.tabs == nil {
		return
	}
	visible := b.u.screens[b.u.current].s == b && b.tabs.SelectedIndex() == tabLog && !b.u.hidden
	if visible {
		b.log.reload()
	} else {
		b.log.stale = true
	}
}

// windowShown is called when the window comes back from the background:
// an open activity log shows the decisions made meanwhile.
func (b *blockingScreen) windowShown() {
	if b.tabs != nil && b.u.screens[b.u.current].s == b && b.tabs.SelectedIndex() == tabLog {
		b.log.shownTab()
	}
}

func categoryHelp(c settings.Category) string {
	switch c {
	case settings.CatAdvertising:
		return lang.L("Ad networks that follow you from site to site.")
	case settings.CatAnalytics:
		return lang.L("Services that record what you do on a site for its owner or for others.")
	case settings.CatSocial:
		return lang.L("Like and share buttons that tell social networks which pages you read.")
	case settings.CatFingerprinting:
		return lang.L("Scripts that recognise your device without cookies.")
	case settings.CatCryptomining:
		return lang.L("Scripts that use your computer to mine cryptocurrency.")
	case settings.CatEmail:
		return lang.L("Pixels in emails that report when and where you opened them.")
	case settings.CatContent:
		return lang.L("Videos, maps, comments and fonts from other companies. Blocking them can break pages.")
	}
	return lang.L("Trackers that fit no other category.")
}

func (b *blockingScreen) buildProtection() fyne.CanvasObject {
	u := b.u
	b.presetOptions = []string{
		lang.L("Standard — blocks trackers and keeps pages working"),
		lang.L("Strict — also blocks embedded content from other companies (some pages may break)"),
		lang.L("Custom — choose the categories yourself"),
	}
	presets := []settings.Preset{settings.PresetStandard, settings.PresetStrict, settings.PresetCustom}
	b.preset = newRadioGroup(b.presetOptions, func(choice string) {
		i := slices.Index(b.presetOptions, choice)
		if i < 0 {
			return
		}
		u.change(func(s *settings.Settings) error { return s.Set("blocking.preset", string(presets[i])) })
	})
	b.preset.Required = true
	level := section(lang.L("Protection level"), "", b.preset)

	b.cats = map[settings.Category]*Toggle{}
	var rows []fyne.CanvasObject
	for i, c := range settings.Categories {
		c := c
		t := NewToggle(categoryName(string(c)), func(on bool) {
			u.change(func(s *settings.Settings) error {
				cats := slices.DeleteFunc(slices.Clone(s.Blocking.Categories), func(x settings.Category) bool { return x == c })
				if on {
					cats = append(cats, c)
				}
				names := make([]string, len(cats))
				for i, x := range cats {
					names[i] = string(x)
				}
				return s.Set("blocking.categories", strings.Join(names, ","))
			})
		})
		b.cats[c] = t
		if i > 0 {
			rows = append(rows, widget.NewSeparator())
		}
		rows = append(rows, switchRow(categoryName(string(c)), categoryHelp(c), t))
	}
	cats := section(lang.L("What to block"),
		lang.L("Changing a category makes the protection level Custom."), rows...)

	b.hold = NewToggle(lang.L("Hold traffic until the lists are loaded"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Blocking.HoldUntilLoaded = on; return nil })
	})
	b.owner = NewToggle(lang.L("Treat sites of the same company as one"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Blocking.OwnerParties = on; return nil })
	})
	b.dntPolicy = NewToggle(lang.L("Trust sites that promise to honour Do Not Track"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Blocking.HonorDNTPolicy = on; return nil })
	})
	adv := section(lang.L("Fine points"), "",
		switchRow(lang.L("Hold traffic until the lists are loaded"),
			lang.L("When Polaris starts, requests wait a moment until the block lists are ready, so that no tracker slips through."), b.hold),
		widget.NewSeparator(),
		switchRow(lang.L("Treat sites of the same company as one"),
			lang.L("For example facebook.com and fbcdn.net: a company's own sites are not blocked on each other."), b.owner),
		widget.NewSeparator(),
		switchRow(lang.L("Trust sites that promise to honour Do Not Track"),
			lang.L("Like Privacy Badger: do not block a third party that publishes the EFF's Do Not Track policy, on requests that send your Do Not Track choice \"do not track\"."), b.dntPolicy))

	return tabPage(level, cats, adv)
}

// tabPage lays out the content of a tab, scrolling.
func tabPage(sections ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVScroll(container.New(layout.NewCustomPaddedLayout(10, 24, 0, 4),
		container.New(layout.NewCustomPaddedVBoxLayout(14), sections...)))
}

func (b *blockingScreen) buildAllowlist() fyne.CanvasObject {
	b.allowEntry, b.allowErr, b.allowAdd = siteEntry(lang.L("Allow"), b.addAllowed)
	b.allowRows = container.NewVBox()
	add := container.NewBorder(nil, nil, nil, b.allowAdd, b.allowEntry)
	return tabPage(section(lang.L("Sites where protections are off"),
		lang.L("Nothing is blocked on these sites. Use this for a site that does not work with Polaris; its subdomains are included."),
		add, b.allowErr, widget.NewSeparator(), b.allowRows))
}

func (b *blockingScreen) addAllowed() {
	p, err := checkSite(b.allowEntry.Text)
	if err != nil {
		return
	}
	b.allowEntry.SetText("")
	b.u.change(func(s *settings.Settings) error {
		if !slices.Contains(s.Blocking.Allowlist, p) {
			s.Blocking.Allowlist = append(s.Blocking.Allowlist, p)
		}
		return nil
	})
}

func (b *blockingScreen) update() {
	set := b.u.set.Blocking
	switch set.Preset {
	case settings.PresetStrict:
		b.preset.SetSelected(b.presetOptions[1])
	case settings.PresetCustom:
		b.preset.SetSelected(b.presetOptions[2])
	default:
		b.preset.SetSelected(b.presetOptions[0])
	}
	for c, t := range b.cats {
		t.SetOn(set.Blocks(c))
	}
	b.hold.SetOn(set.HoldUntilLoaded)
	b.owner.SetOn(set.OwnerParties)
	b.dntPolicy.SetOn(set.HonorDNTPolicy)

	b.lists.update()
	b.stealth.update()
	b.rules.update()
	b.log.update()
	key := strings.Join(set.Allowlist, "\n")
	if key == b.shownAllow && b.allowRows.Objects != nil {
		return
	}
	b.shownAllow = key
	var rows []fyne.CanvasObject
	for _, p := range set.Allowlist {
		p := p
		rm := newButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
			b.u.change(func(s *settings.Settings) error {
				s.Blocking.Allowlist = slices.DeleteFunc(s.Blocking.Allowlist, func(x string) bool { return x == p })
				return nil
			})
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, rm, widget.NewLabel(p)))
	}
	if len(rows) == 0 {
		rows = append(rows, note(lang.L("No sites yet: protections are on everywhere.")))
	}
	b.allowRows.Objects = rows
	b.allowRows.Refresh()
}
