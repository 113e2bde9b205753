// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// dnsSection: encrypted DNS, one switch, the resolver to use and how to
// reach it, and what it costs in one line. It lives on the HTTPS screen.
type dnsSection struct {
	u *UI

	on       *Toggle
	state    *callout
	resolver *selectBox
	choices  []string // the Select's options, parallel to ids
	ids      []string
	protocol *radioGroup
	protos   []string

	custom     *entry
	bootstrap  *entry
	customSave *button
	customErr  *widget.Label
	customBox  *fyne.Container
	// pending: "my own resolver" is picked and waits for its address; the
	// settings still name the previous one.
	pending bool
}

func (d *dnsSection) build(u *UI) fyne.CanvasObject {
	d.u = u
	d.on = NewToggle(lang.L("Encrypted DNS"), d.switched)
	d.state = newCallout(status.Info, "", nil)
	for _, r := range settings.WellKnownResolvers() {
		d.ids = append(d.ids, r.ID)
		d.choices = append(d.choices, r.Name+" ("+r.About+")")
	}
	d.ids = append(d.ids, settings.DNSCustom)
	d.choices = append(d.choices, lang.L("My own resolver"))
	d.resolver = newSelect(d.choices, d.picked)
	d.protos = []string{lang.L("DNS over HTTPS (looks like any web traffic)"), lang.L("DNS over TLS (port 853)")}
	d.protocol = newRadioGroup(d.protos, func(choice string) {
		p := settings.DNSOverHTTPS
		if choice == d.protos[1] {
			p = settings.DNSOverTLS
		}
		if choice != "" && p != u.set.DNS.Protocol {
			u.change(func(s *settings.Settings) error { s.DNS.Protocol = p; return nil })
		}
	})
	d.protocol.Required = true
	d.custom = newEntry()
	d.custom.SetPlaceHolder(lang.L("https://dns.example/dns-query or tls://dns.example"))
	d.bootstrap = newEntry()
	d.bootstrap.SetPlaceHolder(lang.L("Its IP addresses, e.g. 192.0.2.1 (optional)"))
	d.customErr = widget.NewLabel("")
	d.customErr.Importance = widget.DangerImportance
	d.customErr.Wrapping = fyne.TextWrapWord
	d.customErr.Hide()
	d.customSave = newButton(lang.L("Use this resolver"), d.saveCustom)
	d.custom.OnSubmitted = func(string) { d.saveCustom() }
	d.customBox = container.NewVBox(d.custom, d.bootstrap,
		note(lang.L("Without its addresses, Polaris asks your network's DNS for this resolver's own name, and for no other.")),
		d.customErr, container.NewHBox(d.customSave))
	d.customBox.Hide()
	return section(lang.L("Private names (encrypted DNS)"), "",
		switchRow(lang.L("Encrypted DNS"),
			lang.L("The names of the sites you visit go to the resolver you pick instead of your network: your network no longer sees them, that company sees them all. Your decision."), d.on),
		d.state.obj,
		widget.NewSeparator(),
		keyValue(lang.L("Resolver"), d.resolver),
		d.protocol, d.customBox,
		note(lang.L("If the resolver cannot be reached, Polaris refuses to open sites rather than look names up in the clear. With Tor on, Tor looks names up and this is not used. Your network still sees the addresses Polaris connects to.")))
}

// switched asks before the first name goes to a third party.
func (d *dnsSection) switched(on bool) {
	u := d.u
	apply := func() { u.change(func(s *settings.Settings) error { s.DNS.Encrypted = on; return nil }) }
	if !on {
		apply()
		return
	}
	if u.set.DNS.Resolver == settings.DNSCustom && u.set.DNS.Custom == "" {
		d.on.SetOn(false)
		d.showCustom(true)
		d.showErr(lang.L("Enter your resolver's address first."))
		return
	}
	dialog.ShowConfirm(lang.L("Send every site name to {{.Name}}?", map[string]any{"Name": u.set.DNS.ResolverName()}),
		lang.L("From now on {{.Name}} learns the name of every site you open, instead of your network. Choose a resolver you trust more than your network.", map[string]any{"Name": u.set.DNS.ResolverName()}),
		func(ok bool) {
			if ok {
				apply()
			} else {
				d.on.SetOn(false)
			}
		}, u.win)
}

// picked chooses a resolver; "my own" waits for its address.
func (d *dnsSection) picked(choice string) {
	i := slices.Index(d.choices, choice)
	if i < 0 {
		return
	}
	id := d.ids[i]
	d.showCustom(id == settings.DNSCustom)
	d.pending = id == settings.DNSCustom && d.u.set.DNS.Resolver != settings.DNSCustom
	if id == d.u.set.DNS.Resolver || d.pending && d.u.set.DNS.Custom == "" {
		return
	}
	d.u.change(func(s *settings.Settings) error { s.DNS.Resolver = id; return nil })
}

func (d *dnsSection) saveCustom() {
	address := strings.TrimSpace(d.custom.Text)
	if err := settings.CheckDNSAddress(address); err != nil {
		d.showErr(sentence(err.Error()))
		return
	}
	var boot settings.Settings
	if err := boot.Set("dns.bootstrap", d.bootstrap.Text); err != nil {
		d.showErr(sentence(err.Error()))
		return
	}
	d.showErr("")
	d.pending = false
	d.u.change(func(s *settings.Settings) error {
		s.DNS.Resolver, s.DNS.Custom, s.DNS.Bootstrap = settings.DNSCustom, address, boot.DNS.Bootstrap
		return nil
	})
}

func (d *dnsSection) showErr(text string) {
	d.customErr.SetText(text)
	if text == "" {
		d.customErr.Hide()
	} else {
		d.customErr.Show()
	}
}

func (d *dnsSection) showCustom(on bool) {
	if on {
		d.customBox.Show()
		d.protocol.Hide()
	} else {
		d.customBox.Hide()
		d.protocol.Show()
	}
}

func (d *dnsSection) update() {
	set, snap := d.u.set.DNS, d.u.snap
	d.on.SetOn(set.Encrypted)
	if i := slices.Index(d.ids, set.Resolver); i >= 0 && d.resolver.Selected != d.choices[i] && !d.pending {
		d.resolver.SetSelected(d.choices[i])
	}
	want := d.protos[0]
	if set.Protocol == settings.DNSOverTLS {
		want = d.protos[1]
	}
	if d.protocol.Selected != want {
		d.protocol.SetSelected(want)
	}
	if set.Resolver == settings.DNSCustom {
		d.showCustom(true)
	}
	if d.custom.Text == "" && set.Custom != "" {
		d.custom.SetText(set.Custom)
		d.bootstrap.SetText(strings.Join(set.Bootstrap, ", "))
	}
	switch {
	case !set.Encrypted:
		d.state.obj.Hide()
	case snap.Tor.Enabled:
		d.state.set(status.Info, lang.L("Tor is on: Tor looks names up, so encrypted DNS is not used until you turn Tor off."))
		d.state.obj.Show()
	case snap.DNS.Err != "":
		d.state.set(status.Error, lang.L("{{.Name}} cannot be reached: sites do not open until it answers. Nothing is looked up in the clear.", map[string]any{"Name": set.ResolverName()}))
		d.state.obj.Show()
	default:
		d.state.set(status.Info, lang.L("Names are looked up by {{.Name}}, encrypted.", map[string]any{"Name": set.ResolverName()}))
		d.state.obj.Show()
	}
}
