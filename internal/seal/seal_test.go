// SPDX-License-Identifier: GPL-3.0-or-later

package seal

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"polaris/internal/passphrase"
)

// fast is a cost the tests can afford thousands of times; the format is
// the same at any cost.
var fast = Cost{WorkFactor: 1}

var pass = []byte("marmot kettle obelisk fennel")

func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte(`{"settings":{"dnt":"1"}}`), 10000) // several 64 KiB chunks
	for _, plain := range [][]byte{{}, []byte(`{"format":"polaris-data-export"}`), big} {
		keep := bytes.Clone(pass)
		b, err := Encrypt(plain, pass, fast)
		if err != nil {
			t.Fatal(err)
		}
		if k := Detect(b); k != Age {
			t.Errorf("Detect(Encrypt(...)) = %v, want age", k)
		}
		if bytes.Contains(b, []byte("polaris")) || len(plain) > 0 && bytes.Contains(b, plain[:16]) {
			t.Error("the plaintext shows in the encrypted file")
		}
		got, err := Decrypt(b, pass, fast)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Decrypt(Encrypt(%d bytes)) = %d bytes, %v", len(plain), len(got), err)
		}
		if !bytes.Equal(pass, keep) {
			t.Error("the passphrase was changed")
		}
	}
}

// Encrypt uses age's own default work factor unless told otherwise, and
// writes it in the file, where `age -d` reads it.
func TestWorkFactor(t *testing.T) {
	if got := (Cost{}).workFactor(); got != 18 {
		t.Errorf("the default work factor is %d, want age's 18", got)
	}
	if got := (Cost{}).maxWorkFactor(); got != 20 {
		t.Errorf("the largest work factor decrypted is %d, want 20", got)
	}
	b, err := Encrypt([]byte("{}"), pass, Cost{WorkFactor: 3})
	if err != nil {
		t.Fatal(err)
	}
	stanza := strings.SplitN(string(b), "\n", 3)[1]
	if !strings.HasPrefix(stanza, "-> scrypt ") || !strings.HasSuffix(stanza, " 3") {
		t.Errorf("Encrypt with work factor 3: stanza %q, want a scrypt stanza ending in 3", stanza)
	}
}

func TestDecryptArmored(t *testing.T) {
	plain := []byte(`{"format":"polaris-data-export"}`)
	b, err := Encrypt(plain, pass, fast)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := armor.NewWriter(&out)
	w.Write(b)
	w.Close()
	armored := append([]byte("\n  \r\n"), out.Bytes()...)
	if k := Detect(armored); k != Armored {
		t.Fatalf("Detect(armored) = %v", k)
	}
	got, err := Decrypt(armored, pass, fast)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Decrypt(armored) = %q, %v", got, err)
	}
	bad := bytes.Replace(armored, []byte("\n"), []byte("\n\n"), 3)
	if _, err := Decrypt(bad, pass, fast); !errors.Is(err, ErrDamaged) {
		t.Errorf("Decrypt(broken armor) = %v, want ErrDamaged", err)
	}
}

// Every changed byte and every cut is refused, and no plaintext comes
// out: the file is authenticated.
func TestDecryptRefusesChanges(t *testing.T) {
	plain := bytes.Repeat([]byte("0123456789abcdef"), 5000) // two chunks
	b, err := Encrypt(plain, pass, fast)
	if err != nil {
		t.Fatal(err)
	}
	header := bytes.Index(b, []byte("\n---")) + 1
	salt := bytes.Index(b, []byte("scrypt ")) + len("scrypt ")
	// What a flipped byte may be refused as, by where it is.
	wantFlip := func(i int) []error {
		switch {
		case i < len(ageIntro):
			return []error{passphrase.ErrNotEncrypted} // no longer an age file
		case i < salt:
			return []error{ErrNotPassphrase, ErrDamaged} // the stanza's type or arrow
		case i < salt+22 || i >= salt+25 && i < header-1:
			return []error{passphrase.ErrWrong, ErrDamaged} // the salt or the wrapped key: another key, or bad base64
		}
		return []error{ErrDamaged}
	}
	positions := []int{}
	for i := 0; i < header+120; i++ {
		positions = append(positions, i)
	}
	positions = append(positions, len(b)/2, len(b)-17, len(b)-1)
	for _, i := range positions {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		got, err := Decrypt(c, pass, fast)
		if err == nil || got != nil {
			t.Fatalf("byte %d flipped: Decrypt = %d bytes, %v; want a refusal", i, len(got), err)
		}
		if want := wantFlip(i); !slices.ContainsFunc(want, func(w error) bool { return errors.Is(err, w) }) {
			t.Errorf("byte %d flipped (%q): Decrypt = %v, want one of %v", i, b[max(0, i-3):i+3], err, want)
		}
	}
	for _, n := range []int{0, 5, len(ageIntro), header - 1, header, header + 30, header + 60, len(b) - 65536, len(b) - 1} {
		got, err := Decrypt(b[:n], pass, fast)
		if err == nil || got != nil {
			t.Fatalf("cut to %d of %d bytes: Decrypt = %d bytes, %v; want a refusal", n, len(b), len(got), err)
		}
		if n >= len(ageIntro) && !errors.Is(err, ErrDamaged) {
			t.Errorf("cut to %d of %d bytes: Decrypt = %v, want ErrDamaged", n, len(b), err)
		}
	}
	if _, err := Decrypt(append(bytes.Clone(b), 0), pass, fast); !errors.Is(err, ErrDamaged) {
		t.Errorf("a byte added: Decrypt = %v, want ErrDamaged", err)
	}
}

func TestDecryptRefusals(t *testing.T) {
	good, err := Encrypt([]byte("{}"), pass, fast)
	if err != nil {
		t.Fatal(err)
	}
	costly, err := Encrypt([]byte("{}"), pass, Cost{WorkFactor: 12})
	if err != nil {
		t.Fatal(err)
	}
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var forKey bytes.Buffer
	w, _ := age.Encrypt(&forKey, key.Recipient())
	w.Write([]byte("{}"))
	w.Close()
	for _, tc := range []struct {
		name string
		b    []byte
		pass []byte
		max  int
		want error
	}{
		{"wrong passphrase", good, []byte("marmot kettle obelisk fenne1"), 0, passphrase.ErrWrong},
		{"no passphrase", good, nil, 0, passphrase.ErrEmpty},
		{"long passphrase", good, bytes.Repeat([]byte("x"), passphrase.MaxLen+1), 0, passphrase.ErrTooLong},
		{"plain JSON", []byte(`{"format":"polaris-data-export"}`), pass, 0, passphrase.ErrNotEncrypted},
		{"garbage", []byte("\x00\x01PK"), pass, 0, passphrase.ErrNotEncrypted},
		{"for a key", forKey.Bytes(), pass, 0, ErrNotPassphrase},
		{"too costly", costly, pass, 10, ErrTooCostly},
		{"a newer age", append([]byte("age-encryption.org/v2\n"), good[len("age-encryption.org/v1\n"):]...), pass, 0, ErrDamaged},
	} {
		got, err := Decrypt(tc.b, tc.pass, Cost{MaxWorkFactor: tc.max})
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("%s: Decrypt = %q, %v; want %v", tc.name, got, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the error is not one line: %q", tc.name, err)
		}
	}
	if _, err := Encrypt([]byte("{}"), nil, fast); !errors.Is(err, passphrase.ErrEmpty) {
		t.Errorf("Encrypt with no passphrase = %v", err)
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		b    string
		want Kind
	}{
		{"", Unknown},
		{"{}", JSON},
		{"  \n\t{\"format\"", JSON},
		{"\ufeff{\"format\"", JSON},
		{"[1,2]", Unknown},
		{"age-encryption.org/v1\n-> scrypt", Age},
		{"age-encryption.org/v2\n", Age},
		{" age-encryption.org/v1\n", Unknown},
		{"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl", Armored},
		{"\r\n\r\n-----BEGIN AGE ENCRYPTED FILE-----", Armored},
		{"-----BEGIN PGP MESSAGE-----", Unknown},
		{"PK\x03\x04", Unknown},
		{"\x00\x00\x00", Unknown},
	} {
		if got := Detect([]byte(tc.b)); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// FuzzDetect feeds arbitrary files to the import's detector and to
// Decrypt: no panic; Detect agrees with the prefixes it promises; what
// Detect does not call encrypted, Decrypt refuses as not encrypted; and
// what decrypts was called encrypted. The seeds are the four kinds: plain
// JSON, age, armored age, garbage.
func FuzzDetect(f *testing.F) {
	seedPass := []byte("fuzz")
	sealed, err := Encrypt([]byte(`{"format":"polaris-data-export","version":1}`), seedPass, fast)
	if err != nil {
		f.Fatal(err)
	}
	var armored bytes.Buffer
	w := armor.NewWriter(&armored)
	w.Write(sealed)
	w.Close()
	f.Add([]byte(`{"format":"polaris-data-export","version":1,"sections":{}}`))
	f.Add(sealed)
	f.Add(armored.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := Detect(b)
		if (k == Age) != bytes.HasPrefix(b, []byte(ageIntro)) {
			t.Fatalf("Detect(%q) = %v", b, k)
		}
		if k == Armored && !bytes.Contains(b, []byte(armorHeader)) || k == JSON && !bytes.Contains(b, []byte("{")) {
			t.Fatalf("Detect(%q) = %v", b, k)
		}
		plain, err := Decrypt(b, seedPass, Cost{MaxWorkFactor: 4})
		if !k.Encrypted() && !errors.Is(err, passphrase.ErrNotEncrypted) {
			t.Fatalf("Decrypt(%q), a %v file = %v, want ErrNotEncrypted", b, k, err)
		}
		if err == nil && !k.Encrypted() || err != nil && plain != nil {
			t.Fatalf("Decrypt(%q) = %q, %v", b, plain, err)
		}
	})
}

func BenchmarkDecrypt(b *testing.B) {
	plain := bytes.Repeat([]byte(`{"day":20261120,"requests":1},`), 20000) // a year of statistics and more
	sealed, err := Encrypt(plain, pass, fast)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(sealed)))
	for b.Loop() {
		if _, err := Decrypt(sealed, pass, fast); err != nil {
			b.Fatal(err)
		}
	}
}
