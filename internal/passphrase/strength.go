// SPDX-License-Identifier: GPL-3.0-or-later

package passphrase

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Strength is an estimate of how hard a passphrase is to guess for an
// attacker who has the encrypted file and tries the usual things first:
// common passwords, words, repetitions, sequences, keyboard rows, years.
// It is a rough lower bound meant for a warning, not a guarantee.
type Strength struct {
	// Bits is the estimated number of guesses as a power of two.
	Bits int
	// Chars is the length in characters.
	Chars int
	// Common: it contains a common password or word.
	Common bool
	// Pattern: it contains a repetition, a sequence, a keyboard row or a
	// year.
	Pattern bool
}

// Level is a strength in words.
type Level int

// The levels, by estimated bits.
const (
	VeryWeak Level = iota // under 30 bits
	Weak                  // under WarnBits
	Good                  // under 80 bits
	Strong
)

func (l Level) String() string {
	return [...]string{"very weak", "weak", "good", "strong"}[l]
}

// Level is the strength in words.
func (s Strength) Level() Level {
	switch {
	case s.Bits < 30:
		return VeryWeak
	case s.Bits < WarnBits:
		return Weak
	case s.Bits < 80:
		return Good
	}
	return Strong
}

// Short reports a passphrase under MinLen characters.
func (s Strength) Short() bool { return s.Chars < MinLen }

// Weak reports a passphrase the user should be warned about: short, or
// estimated under WarnBits.
func (s Strength) Weak() bool { return s.Short() || s.Bits < WarnBits }

// Estimate estimates p's strength. It keeps no reference to p, and clears
// the copies it makes of it.
//
// The method: the passphrase is read left to right; at each place the
// longest of these patterns is taken as one token, costing the bits it
// takes to guess it among its kind: a common password or word (also in
// capitals or with digits for letters, "p4ssw0rd"), a character repeated,
// a sequence ("abcd", "4321"), a run along a keyboard row ("qwerty",
// "asdf"), a year (1900-2099), a piece that already came earlier. What is
// left is scored by its kind of characters: letters that read like words
// count about 2 bits each (English words carry little more), other letters,
// digits and symbols as many bits as their alphabet has choices, a
// separator between words 2 bits. The sum is capped by the length times
// the bits of the alphabet used.
func Estimate(p []byte) Strength {
	rs := make([]rune, 0, utf8.RuneCount(p))
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		rs = append(rs, r)
		i += n
	}
	lower := make([]rune, len(rs)) // lower case
	plain := make([]rune, len(rs)) // lower case, digits read as letters
	defer func() { clear(rs); clear(lower); clear(plain) }()
	for i, r := range rs {
		lower[i] = unicode.ToLower(r)
		plain[i] = unleet(lower[i])
	}
	e := estimator{rs: rs, lower: lower, plain: plain}
	return e.run()
}

type estimator struct {
	rs, lower, plain []rune
	s                Strength
}

// class is the kind of a character.
type class int

const (
	letter class = iota
	digit
	separator
	symbol
)

func (e *estimator) run() Strength {
	n := len(e.rs)
	e.s.Chars = n
	bits := 0.0
	start := -1 // of the run of characters matching no pattern
	flush := func(end int) {
		if start >= 0 {
			bits += e.freeBits(start, end)
			start = -1
		}
	}
	for i := 0; i < n; {
		if k, b, kind := e.pattern(i); k > 0 {
			flush(i)
			bits += b
			i += k
			e.s.Common = e.s.Common || kind == common
			e.s.Pattern = e.s.Pattern || kind == pattern
			continue
		}
		if start >= 0 && e.class(i) != e.class(start) {
			flush(i)
		}
		if start < 0 {
			start = i
		}
		i++
	}
	flush(n)
	if max := float64(n) * math.Log2(e.alphabet()); bits > max {
		bits = max
	}
	e.s.Bits = int(bits)
	return e.s
}

// class is the kind of character i; a digit or symbol standing for a
// letter inside a word ("tr0ub4dor") counts as a letter.
func (e *estimator) class(i int) class {
	r := e.rs[i]
	switch {
	case unicode.IsLetter(r):
		return letter
	case e.plain[i] != e.lower[i] && i > 0 && i+1 < len(e.rs) && unicode.IsLetter(e.rs[i-1]) && unicode.IsLetter(e.rs[i+1]):
		return letter
	case r >= '0' && r <= '9':
		return digit
	case r == ' ' || r == '-' || r == '_' || r == '.' || r == ',' || r == '/' || r == '+':
		return separator
	}
	return symbol
}

// The kinds of pattern.
const (
	none = iota
	common
	pattern
)

// pattern finds the longest pattern starting at i: its length (0: none),
// its cost in bits and its kind.
func (e *estimator) pattern(i int) (k int, bits float64, kind int) {
	try := func(n int, b float64, kd int) {
		if n > k || n == k && n > 0 && b < bits {
			k, bits, kind = n, b, kd
		}
	}
	if n := e.commonAt(i); n > 0 {
		try(n, math.Log2(float64(len(commonWords)))+e.variantBits(i, n), common)
	}
	if n := e.repeatAt(i); n >= 3 {
		try(n, math.Log2(e.pool(i))+math.Log2(float64(n)), pattern)
	}
	if n := e.sequenceAt(i); n >= 3 {
		try(n, math.Log2(e.pool(i))+math.Log2(float64(n))+1, pattern)
	}
	if n := e.keyboardAt(i); n >= 3 {
		try(n, math.Log2(float64(len(keyboardRows)*2*10))+math.Log2(float64(n)), pattern)
	}
	if e.yearAt(i) {
		try(4, math.Log2(200), pattern)
	}
	if n := e.earlierAt(i); n >= 3 {
		try(n, math.Log2(float64(i))+math.Log2(float64(n)), pattern)
	}
	return k, bits, kind
}

// commonAt is the length of the longest common word at i, read in lower
// case with digits as letters; 0 if none.
func (e *estimator) commonAt(i int) int {
	best := 0
	for _, w := range commonWords {
		if len(w) > best && hasPrefix(e.plain[i:], w) {
			best = len(w)
		}
	}
	return best
}

func hasPrefix(rs []rune, w string) bool {
	if len(rs) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		if rs[j] != rune(w[j]) {
			return false
		}
	}
	return true
}

// variantBits is what capitals and digits for letters add to a common
// word: one bit each kind.
func (e *estimator) variantBits(i, k int) float64 {
	b := 0.0
	caps, leet := false, false
	for j := i; j < i+k; j++ {
		caps = caps || e.rs[j] != e.lower[j]
		leet = leet || e.plain[j] != e.lower[j]
	}
	if caps {
		b++
	}
	if leet {
		b++
	}
	return b
}

// repeatAt is how many times character i repeats from i.
func (e *estimator) repeatAt(i int) int {
	k := 1
	for i+k < len(e.rs) && e.rs[i+k] == e.rs[i] {
		k++
	}
	return k
}

// sequenceAt is the length of an alphabetic or numeric run going up or
// down by one from i ("abcd", "9876").
func (e *estimator) sequenceAt(i int) int {
	if i+1 >= len(e.lower) {
		return 1
	}
	a, b := e.lower[i], e.lower[i+1]
	d := b - a
	if d != 1 && d != -1 || !sameRange(a, b) {
		return 1
	}
	k := 2
	for i+k < len(e.lower) && e.lower[i+k]-e.lower[i+k-1] == d && sameRange(e.lower[i+k], a) {
		k++
	}
	return k
}

func sameRange(a, b rune) bool {
	in := func(r, lo, hi rune) bool { return r >= lo && r <= hi }
	return in(a, 'a', 'z') && in(b, 'a', 'z') || in(a, '0', '9') && in(b, '0', '9')
}

// keyboardRows are the rows of a QWERTY keyboard, as typed left to right.
var keyboardRows = []string{"1234567890-=", "!@#$%^&*()_+", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./", "qwertzuiop", "yxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn"}

// keyboardAt is the length of the longest run from i along a keyboard row,
// either way.
func (e *estimator) keyboardAt(i int) int {
	best := 0
	for _, row := range keyboardRows {
		for _, dir := range []int{1, -1} {
			for start := 0; start < len(row); start++ {
				k := 0
				for p := start; p >= 0 && p < len(row) && i+k < len(e.lower) && e.lower[i+k] == rune(row[p]); p += dir {
					k++
				}
				best = max(best, k)
			}
		}
	}
	return best
}

// yearAt reports a year 1900-2099 at i, not inside a longer number.
func (e *estimator) yearAt(i int) bool {
	if i+4 > len(e.rs) || i > 0 && isDigit(e.rs[i-1]) || i+4 < len(e.rs) && isDigit(e.rs[i+4]) {
		return false
	}
	for j := i; j < i+4; j++ {
		if !isDigit(e.rs[j]) {
			return false
		}
	}
	c := string(e.rs[i : i+2])
	return c == "19" || c == "20"
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// earlierAt is the length of the longest piece from i that already
// appeared before i.
func (e *estimator) earlierAt(i int) int {
	best := 0
	for j := 0; j < i; j++ {
		k := 0
		for j+k < i && i+k < len(e.rs) && e.rs[j+k] == e.rs[i+k] {
			k++
		}
		best = max(best, k)
	}
	return best
}

// pool is the size of the alphabet character i comes from.
func (e *estimator) pool(i int) float64 {
	switch e.class(i) {
	case letter:
		return letterPool(e.rs[i])
	case digit:
		return 10
	}
	return 33
}

// freeBits scores a run of characters of one class that matched no
// pattern.
func (e *estimator) freeBits(i, end int) float64 {
	k := end - i
	switch e.class(i) {
	case separator:
		return 2
	case digit:
		return float64(k) * math.Log2(10)
	case symbol:
		return float64(k) * math.Log2(33)
	}
	pool, upper, leet := 26.0, 0, 0
	for j := i; j < end; j++ {
		pool = max(pool, letterPool(e.rs[j]))
		if e.rs[j] != e.lower[j] {
			upper++
		}
		if e.plain[j] != e.lower[j] {
			leet++
		}
	}
	caseBits := 0.0
	switch {
	case upper == 0:
	case upper == k, upper == 1 && e.rs[i] != e.lower[i]:
		caseBits = 1
	default:
		caseBits = float64(k)
	}
	bits := float64(k) * math.Log2(pool)
	switch {
	case k <= 3:
		bits = min(bits, 10)
	case pool <= 33 && wordLike(e.plain[i:end]):
		bits = min(bits, 2*float64(k))
	}
	return bits + caseBits + float64(leet)
}

// wordLike reports letters that read like words: vowels among them in the
// proportions of a language, no long cluster of consonants.
func wordLike(rs []rune) bool {
	n, run := 0, 0
	for _, r := range rs {
		switch {
		case strings.ContainsRune(vowels, r):
			n++
			run = 0
		default:
			run++
			if run > 3 {
				return false
			}
		}
	}
	f := float64(n) / float64(len(rs))
	return f >= 0.25 && f <= 0.7
}

// vowels are the vowels of the languages written with the Latin, Greek
// and Cyrillic alphabets.
const vowels = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœαεηιουωάέήίόύώаеёиоуыэюяіїє"

// letterPool is the size of the alphabet a letter comes from: a Latin,
// Greek or Cyrillic letter one of about 26 to 33, any other letter (a
// syllable, an ideogram) one of many more.
func letterPool(r rune) float64 {
	switch {
	case r <= unicode.MaxASCII:
		return 26
	case unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic):
		return 33
	}
	return 100
}

// alphabet is the size of the alphabet the whole passphrase draws from.
func (e *estimator) alphabet() float64 {
	var lowerUsed, upperUsed, digits, symbols, other bool
	for _, r := range e.rs {
		switch {
		case r >= 'a' && r <= 'z':
			lowerUsed = true
		case r >= 'A' && r <= 'Z':
			upperUsed = true
		case isDigit(r):
			digits = true
		case r > unicode.MaxASCII:
			other = true
		default:
			symbols = true
		}
	}
	n := 0.0
	for _, c := range []struct {
		used bool
		size float64
	}{{lowerUsed, 26}, {upperUsed, 26}, {digits, 10}, {symbols, 33}, {other, 100}} {
		if c.used {
			n += c.size
		}
	}
	return max(n, 2)
}

// unleet reads a digit or symbol used for a letter as that letter.
func unleet(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1', '!', '|':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7', '+':
		return 't'
	case '8':
		return 'b'
	case '9':
		return 'g'
	}
	return r
}
