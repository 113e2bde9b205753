// SPDX-License-Identifier: GPL-3.0-or-later

package passphrase

import (
	"bytes"
	"math"
	"testing"
	"unicode/utf8"
)

func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		p       string
		level   Level
		weak    bool
		short   bool
		common  bool
		pattern bool
	}{
		{p: "", level: VeryWeak, weak: true, short: true},
		{p: "password", level: VeryWeak, weak: true, short: true, common: true},
		{p: "P@ssw0rd", level: VeryWeak, weak: true, short: true, common: true},
		{p: "Password2024!", level: VeryWeak, weak: true, common: true, pattern: true},
		{p: "iloveyou1234", level: VeryWeak, weak: true, common: true, pattern: true},
		{p: "qwertyuiop12", level: VeryWeak, weak: true, pattern: true},
		{p: "aaaaaaaaaaaaaaaa", level: VeryWeak, weak: true, pattern: true},
		{p: "abcabcabcabc", level: VeryWeak, weak: true, pattern: true},
		{p: "9876543210abcdef", level: VeryWeak, weak: true, pattern: true, common: true},
		{p: "correcthorse", level: VeryWeak, weak: true},
		// Long enough, but built of two words and a year.
		{p: "Sunflower Garden 1987", level: Weak, weak: true, common: true, pattern: true},
		// Strong enough, but short: warned all the same.
		{p: "Xk#9pL!2qZ", level: Weak, weak: true, short: true},
		{p: "Tr0ub4dor&3", level: VeryWeak, weak: true, short: true},
		{p: "correct horse battery staple", level: Good},
		{p: "J8#kL2!qZ9@x", level: Good},
		{p: "vN3$pQ7&wR1!tY5^zU", level: Strong},
		{p: "grüne bäume wachsen hoch über dem see", level: Strong},
		{p: "marmot kettle obelisk fennel quasar", level: Good},
	} {
		s := Estimate([]byte(tc.p))
		if s.Level() != tc.level || s.Weak() != tc.weak || s.Short() != tc.short || s.Common != tc.common || s.Pattern != tc.pattern {
			t.Errorf("Estimate(%q) = %+v: level %v weak %v short %v, want level %v weak %v short %v common %v pattern %v",
				tc.p, s, s.Level(), s.Weak(), s.Short(), tc.level, tc.weak, tc.short, tc.common, tc.pattern)
		}
		if s.Chars != utf8.RuneCountInString(tc.p) {
			t.Errorf("Estimate(%q).Chars = %d", tc.p, s.Chars)
		}
	}
}

// More of the same kind never makes a passphrase weaker: a word added to
// a passphrase of words adds bits.
func TestEstimateGrows(t *testing.T) {
	p := ""
	last := 0
	for _, w := range []string{"marmot", " kettle", " obelisk", " fennel", " quasar", " tundra"} {
		p += w
		b := Estimate([]byte(p)).Bits
		if b <= last {
			t.Errorf("Estimate(%q).Bits = %d, not more than %d before the last word", p, b, last)
		}
		last = b
	}
}

// The caller's passphrase is read, never written or kept.
func TestEstimateLeavesPassphrase(t *testing.T) {
	p := []byte("P@ssw0rd Tr0ub4dor")
	keep := bytes.Clone(p)
	Estimate(p)
	if !bytes.Equal(p, keep) {
		t.Errorf("Estimate changed its argument: %q", p)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		p    []byte
		want error
	}{
		{nil, ErrEmpty},
		{[]byte{}, ErrEmpty},
		{[]byte("x"), nil},
		{bytes.Repeat([]byte("x"), MaxLen), nil},
		{bytes.Repeat([]byte("x"), MaxLen+1), ErrTooLong},
	} {
		if got := Check(tc.p); got != tc.want {
			t.Errorf("Check(%d bytes) = %v, want %v", len(tc.p), got, tc.want)
		}
	}
}

// FuzzEstimate: any bytes (a passphrase file is untrusted input) give an
// estimate within the bounds of their alphabet, without a panic.
func FuzzEstimate(f *testing.F) {
	for _, s := range []string{"", "password", "Tr0ub4dor&3", "correct horse battery staple", "aaaa", "\xff\xfe", "grüne bäume"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) > MaxLen {
			return
		}
		s := Estimate(p)
		if s.Bits < 0 || float64(s.Bits) > float64(s.Chars)*math.Log2(259)+1 {
			t.Errorf("Estimate(%q).Bits = %d for %d characters", p, s.Bits, s.Chars)
		}
		if s.Chars != utf8.RuneCount(p) {
			t.Errorf("Estimate(%q).Chars = %d", p, s.Chars)
		}
	})
}

func BenchmarkEstimate(b *testing.B) {
	for _, p := range []string{"correct horse battery staple", string(bytes.Repeat([]byte("ab1!"), MaxLen/4))} {
		b.Run(p[:8], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Estimate([]byte(p))
			}
		})
	}
}
