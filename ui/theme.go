// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// polarisTheme is fyne's default theme in Polaris's colours. It follows
// the system's light or dark variant (the variant is fyne's to decide).
type polarisTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return polarisTheme{theme.DefaultTheme()} }

var (
	navy      = color.NRGBA{R: 0x2b, G: 0x3a, B: 0x8c, A: 0xff}
	periwinkl = color.NRGBA{R: 0x9a, G: 0xa8, B: 0xff, A: 0xff}
)

// Colours Polaris adds to the theme.
const (
	colorMuted fyne.ThemeColorName = "polaris-muted" // secondary text, readable
	colorPanel fyne.ThemeColorName = "polaris-panel" // background of a panel

	colorErrorBG   fyne.ThemeColorName = "polaris-error-bg" // banner backgrounds
	colorWarningBG fyne.ThemeColorName = "polaris-warning-bg"
	colorInfoBG    fyne.ThemeColorName = "polaris-info-bg"
	colorGoodBG    fyne.ThemeColorName = "polaris-good-bg"    // the headline while protecting
	colorSwitchOff fyne.ThemeColorName = "polaris-switch-off" // track of a switch that is off
)

func (t polarisTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	dark := v == theme.VariantDark
	switch n {
	case colorMuted:
		if dark {
			return color.NRGBA{R: 0xae, G: 0xb4, B: 0xc0, A: 0xff}
		}
		return color.NRGBA{R: 0x5a, G: 0x60, B: 0x6b, A: 0xff}
	case colorErrorBG:
		if dark {
			return color.NRGBA{R: 0x5c, G: 0x1f, B: 0x24, A: 0xff}
		}
		return color.NRGBA{R: 0xfd, G: 0xe4, B: 0xe6, A: 0xff}
	case colorWarningBG:
		if dark {
			return color.NRGBA{R: 0x4f, G: 0x3e, B: 0x08, A: 0xff}
		}
		return color.NRGBA{R: 0xff, G: 0xf3, B: 0xcd, A: 0xff}
	case colorGoodBG:
		if v == theme.VariantDark {
			return color.NRGBA{R: 0x17, G: 0x45, B: 0x2a, A: 0xff}
		}
		return color.NRGBA{R: 0xd8, G: 0xf3, B: 0xdf, A: 0xff}
	case colorInfoBG:
		if dark {
			return color.NRGBA{R: 0x22, G: 0x2c, B: 0x55, A: 0xff}
		}
		return color.NRGBA{R: 0xe5, G: 0xea, B: 0xfb, A: 0xff}
	case colorSwitchOff:
		if dark {
			return color.NRGBA{R: 0x5f, G: 0x66, B: 0x73, A: 0xff}
		}
		return color.NRGBA{R: 0xb4, G: 0xb9, B: 0xc3, A: 0xff}
	case theme.ColorNameInputBorder:
		if !dark { // fyne's light border makes unselected radio buttons look disabled
			return color.NRGBA{R: 0x9c, G: 0xa3, B: 0xad, A: 0xff}
		}
	case colorPanel:
		if dark {
			return color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x0c}
		}
		return color.NRGBA{R: 0x2b, G: 0x3a, B: 0x8c, A: 0x0a}
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		if dark {
			return periwinkl
		}
		return navy
	case theme.ColorNameForegroundOnPrimary:
		if dark {
			return color.NRGBA{R: 0x10, G: 0x14, B: 0x30, A: 0xff}
		}
		return color.White
	case theme.ColorNameFocus:
		if dark {
			return color.NRGBA{R: 0x9a, G: 0xa8, B: 0xff, A: 0x66}
		}
		return color.NRGBA{R: 0x2b, G: 0x3a, B: 0x8c, A: 0x44}
	case theme.ColorNameSelection:
		if dark {
			return color.NRGBA{R: 0x9a, G: 0xa8, B: 0xff, A: 0x40}
		}
		return color.NRGBA{R: 0x2b, G: 0x3a, B: 0x8c, A: 0x30}
	}
	return t.Theme.Color(n, v)
}

func (t polarisTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameHeadingText:
		return 22
	case theme.SizeNameSubHeadingText:
		return 16
	}
	return t.Theme.Size(n)
}

// categoryColor is the chart colour of a tracker category; the palette
// (Okabe–Ito) stays distinguishable for colour-blind users on light and
// dark backgrounds.
func categoryColor(c string) color.Color {
	switch c {
	case "advertising":
		return color.NRGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}
	case "analytics":
		return color.NRGBA{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}
	case "social":
		return color.NRGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}
	case "fingerprinting":
		return color.NRGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}
	case "cryptomining":
		return color.NRGBA{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}
	case "email":
		return color.NRGBA{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}
	case "content":
		return color.NRGBA{R: 0xf0, G: 0xe4, B: 0x42, A: 0xff}
	}
	return color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
}
