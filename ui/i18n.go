// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"embed"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// Every text the window shows goes through fyne's lang package: lang.L
// with the English text as the key, lang.X with an explicit key where the
// English word alone is ambiguous or reserved by go-i18n ("Other"), and
// lang.N for plurals. Sentences with values are templates ("{{.Count}}"),
// never concatenations, so a translation may reorder them. The English
// file lists every key (TestTranslationsComplete keeps it complete); a
// translation is another file next to it, e.g. polaris.de.json.

//go:embed translations
var translations embed.FS

var loadTranslations = sync.OnceFunc(func() {
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("loading Polaris's translations", err)
	}
})

// count formats an integer with the locale's digit grouping: 3,210.
func count[T ~int | ~int64 | ~uint64](n T) string {
	sep := lang.X("format.thousands", ",")
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-int64(n))
	}
	s := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clock formats a time of day ("14:32").
func clock(t time.Time) string { return t.Format(lang.X("format.clock", "15:04")) }

// day formats a date for the chart and tables ("Mon 2 Jan").
func day(t time.Time) string { return t.Format(lang.X("format.day", "Mon 2 Jan")) }

// date formats a full date ("2 Jan 2027").
func date(t time.Time) string { return t.Format(lang.X("format.date", "2 Jan 2006")) }

// ago says how long ago t was, in words ("3 hours ago"); "never" for the
// zero time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return lang.L("never")
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return lang.L("just now")
	case d < time.Hour:
		n := int(d / time.Minute)
		return lang.N("{{.Count}} minutes ago", n, map[string]any{"Count": n})
	case d < 48*time.Hour:
		n := int(d / time.Hour)
		return lang.N("{{.Count}} hours ago", n, map[string]any{"Count": n})
	}
	n := int(d / (24 * time.Hour))
	return lang.N("{{.Count}} days ago", n, map[string]any{"Count": count(n)})
}

// every says how often in words ("every 12 hours"), "never" for 0.
func every(d time.Duration) string {
	switch {
	case d <= 0:
		return lang.L("never")
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return lang.N("every {{.Count}} days", n, map[string]any{"Count": n})
	}
	n := int(d / time.Hour)
	return lang.N("every {{.Count}} hours", n, map[string]any{"Count": n})
}

// bytesText formats a size ("1.2 MB").
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return lang.N("{{.Count}} bytes", int(n), map[string]any{"Count": n})
	}
	v, exp := float64(n), 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	num := strconv.FormatFloat(v, 'f', 1, 64)
	num = strings.Replace(num, ".", lang.X("format.decimal", "."), 1)
	switch exp {
	case 1:
		return lang.L("{{.Size}} kB", map[string]any{"Size": num})
	case 2:
		return lang.L("{{.Size}} MB", map[string]any{"Size": num})
	}
	return lang.L("{{.Size}} GB", map[string]any{"Size": num})
}

// sentence makes an error message shown on its own start with a capital
// letter; engine errors are lower case by Go convention.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	return string(r)
}
