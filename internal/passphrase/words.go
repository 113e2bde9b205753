// SPDX-License-Identifier: GPL-3.0-or-later

package passphrase

import "unicode"

// commonWords are passwords and words that every guessing attack tries
// first (the top of the lists published after password leaks), and words
// a Polaris user is likely to reach for. They are matched in lower case,
// digits read as letters ("p4ssw0rd" is "password"). Sequences, repeats
// and keyboard rows ("123456", "qwerty") need no entry: they are patterns.
var commonWords = normalize([]string{
	"password", "passwort", "motdepasse", "contrasena", "senha", "passphrase", "pass", "secret", "letmein",
	"welcome", "hello", "login", "admin", "administrator", "root", "master", "default", "guest", "user",
	"iloveyou", "love", "lovely", "loveme", "princess", "sunshine", "shadow", "monkey", "dragon", "football",
	"baseball", "soccer", "hockey", "basketball", "superman", "batman", "spiderman", "pokemon", "starwars",
	"whatever", "freedom", "trustno1", "mustang", "michael", "jennifer", "jordan", "hunter", "ranger",
	"harley", "thomas", "robert", "daniel", "charlie", "andrew", "matthew", "jessica", "ashley", "michelle",
	"nicole", "summer", "winter", "autumn", "spring", "flower", "cookie", "cheese", "chocolate", "banana",
	"orange", "purple", "yellow", "silver", "golden", "diamond", "angel", "tigger", "ginger", "buster",
	"pepper", "maggie", "hannah", "family", "friends", "computer", "internet", "google", "facebook",
	"samsung", "apple", "windows", "linux", "secure", "security", "private", "privacy", "polaris", "tracker",
	"blocker", "proxy", "onion", "firefox", "chrome", "access", "killer", "soleil", "bonjour", "hallo",
	"schatz", "qwerty", "azerty", "qwertz", "abc123", "passw0rd", "zaq12wsx", "1qaz2wsx", "asdfgh",
	"baby", "money", "secret123", "test", "testing", "changeme", "correcthorsebatterystaple", "abcdef",
	"123456", "654321", "111111", "000000", "121212", "123123", "666666", "696969", "987654321",
	"god", "sex", "jesus", "heaven", "matrix", "ninja", "mickey", "pussy", "fuckyou", "biteme",
})

// normalize writes words the way they are matched: lower case, digits
// read as letters.
func normalize(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		rs := []rune(w)
		for j, r := range rs {
			rs[j] = unleet(unicode.ToLower(r))
		}
		out[i] = string(rs)
	}
	return out
}
