// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// ReadJSON decodes the shared file rel (relative to the shared folder)
// into v, failing the test if it cannot.
func ReadJSON(t testing.TB, rel string, v any) {
	t.Helper()
	data, err := os.ReadFile(Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// DDGClassification maps "file|set|index" of every case of the DuckDuckGo
// privacy reference tests to its proxy classification in
// ddg-reference-tests/proxy-classification.json ("yes", "yes*", "partial",
// "mode-dependent", "browser").
func DDGClassification(t testing.TB) map[string]string {
	t.Helper()
	var rows []struct {
		File  string `json:"file"`
		Set   string `json:"set"`
		Index int    `json:"index"`
		Proxy string `json:"proxy"`
	}
	ReadJSON(t, "ddg-reference-tests/proxy-classification.json", &rows)
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[fmt.Sprintf("%s|%s|%d", r.File, r.Set, r.Index)] = r.Proxy
	}
	return m
}

// DDGDecidable returns, for one file of the DuckDuckGo privacy reference
// tests (its path under ddg-reference-tests/), the "set/index" keys of the
// cases ddg-reference-tests/proxy-classification.json marks decidable by a
// proxy: "yes", "yes*" and "partial" (whose request decision and surrogate
// body a proxy can check). It fails the test when there is none.
func DDGDecidable(t testing.TB, file string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for key, proxy := range DDGClassification(t) {
		f, setIndex, _ := strings.Cut(key, "|")
		if f == file && (proxy == "yes" || proxy == "yes*" || proxy == "partial") {
			out[strings.Replace(setIndex, "|", "/", 1)] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("no decidable cases for %s", file)
	}
	return out
}

// DDGTrackerCase is one case of the tracker-radar domain-matching tests.
type DDGTrackerCase struct {
	Key            string  `json:"-"` // "set/index", as in proxy-classification.json
	Name           string  `json:"name"`
	SiteURL        string  `json:"siteURL"`
	RequestURL     string  `json:"requestURL"`
	RequestType    string  `json:"requestType"`
	ExpectAction   *string `json:"expectAction"` // nil: no action (the JSON null)
	ExpectRedirect string  `json:"expectRedirect"`
}

// DDGRequestCase is one case of the request-blocklist tests.
type DDGRequestCase struct {
	Key          string `json:"-"` // "set/index", as in proxy-classification.json
	Name         string `json:"name"`
	RequestURL   string `json:"requestUrl"`
	RequestType  string `json:"requestType"`
	WebsiteURL   string `json:"websiteUrl"`
	ExpectAction string `json:"expectAction"`
}

// DDGTrackerCases returns the decidable cases of a tracker-radar test file.
func DDGTrackerCases(t testing.TB, file string) []DDGTrackerCase {
	t.Helper()
	return decidableSetCases(t, file, func(c *DDGTrackerCase, key string) { c.Key = key })
}

// DDGRequestCases returns the decidable cases of a request-blocklist test
// file.
func DDGRequestCases(t testing.TB, file string) []DDGRequestCase {
	t.Helper()
	return decidableSetCases(t, file, func(c *DDGRequestCase, key string) { c.Key = key })
}

// decidableSetCases reads a reference-test file made of named sets of
// cases ({"set": {"tests": [...]}}) and returns the decidable ones, sets in
// name order, each with its "set/index" key.
func decidableSetCases[C any](t testing.TB, file string, setKey func(*C, string)) []C {
	t.Helper()
	ok := DDGDecidable(t, file)
	var sets map[string]struct {
		Tests []C `json:"tests"`
	}
	ReadJSON(t, "ddg-reference-tests/"+file, &sets)
	var out []C
	for _, set := range slices.Sorted(maps.Keys(sets)) {
		for i, c := range sets[set].Tests {
			key := fmt.Sprintf("%s/%d", set, i)
			if ok[key] {
				setKey(&c, key)
				out = append(out, c)
			}
		}
	}
	return out
}
