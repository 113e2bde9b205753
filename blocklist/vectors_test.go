package blocklist

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"polaris/internal/testenv"
)

// realworldCase is one request of adblock-vectors/realworld.
type realworldCase struct {
	ID                  int    `json:"id"`
	URL                 string `json:"url"`
	SourceURL           string `json:"sourceUrl"`
	Type                string `json:"type"`
	Expect              string `json:"expect"`
	UBOFilter           string `json:"uboFilter"`
	GhosteryFilter      string `json:"ghosteryFilter"`
	ExpectIfTypeUnknown string `json:"expectIfTypeUnknown"`
	ExpectIfNoSource    string `json:"expectIfNoSource"`
	ExpectHostOnly      string `json:"expectHostOnly"`
}

func loadRealworld(t testing.TB) []realworldCase {
	t.Helper()
	f, err := os.Open(testenv.Shared(t, "adblock-vectors/realworld/verdicts-2026-first10k.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []realworldCase
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var c realworldCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	easyOnce    sync.Once
	easyLists   []*List
	easyListErr error
)

// easyListsFor parses EasyList and EasyPrivacy once per test binary.
func easyListsFor(t testing.TB) []*List {
	t.Helper()
	paths := []struct{ name, rel, cat string }{
		{"EasyList", "blocklists/easylist.txt", "advertising"},
		{"EasyPrivacy", "blocklists/easyprivacy.txt", "analytics"},
	}
	easyOnce.Do(func() {
		for _, p := range paths {
			f, err := os.Open(testenv.Shared(t, p.rel))
			if err != nil {
				easyListErr = err
				return
			}
			l, err := Parse(f, ListMeta{Name: p.name, Category: p.cat})
			f.Close()
			if err != nil {
				easyListErr = err
				return
			}
			easyLists = append(easyLists, l)
		}
	})
	if easyListErr != nil {
		t.Fatal(easyListErr)
	}
	return easyLists
}

func verdictWord(v Verdict) string {
	if v.Action.Blocked() {
		return "block"
	}
	return "allow"
}
