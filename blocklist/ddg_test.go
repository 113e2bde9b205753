// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"

	"polaris/internal/testenv"
)

// The DuckDuckGo privacy-reference-tests for tracker blocking and the
// request blocklist, read in place from ../shared/ddg-reference-tests. Only
// the cases proxy-classification.json marks decidable by a proxy run
// ("yes", "yes*", and "partial", whose request decision and surrogate body
// a proxy can check).

func parseShared(t *testing.T, rel string, meta ListMeta) *List {
	t.Helper()
	f, err := os.Open(testenv.Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if meta.Name == "" {
		meta.Name = rel
	}
	l, err := Parse(f, meta)
	if err != nil {
		t.Fatalf("Parse(%s): %v", rel, err)
	}
	return l
}

// ddgAction maps a verdict onto the reference tests' vocabulary.
func ddgAction(v Verdict) string {
	switch {
	case v.Action == Redirect:
		return "redirect"
	case v.Action == Block:
		return "block"
	case v.Tracker:
		return "ignore"
	}
	return "null"
}

func TestDDGTrackerRadarDomainMatching(t *testing.T) {
	const file = "tracker-radar-tests/TR-domain-matching/domain_matching_tests.json"
	dir := "ddg-reference-tests/tracker-radar-tests/TR-domain-matching/"
	m, err := Compile([]*List{
		parseShared(t, dir+"tracker_radar_reference.json", ListMeta{}),
		parseShared(t, dir+"surrogates.txt", ListMeta{}),
	}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := testenv.DDGTrackerCases(t, file)
	total, passed := len(cases), 0
	for _, c := range cases {
		want := "null"
		if c.ExpectAction != nil {
			want = *c.ExpectAction
		}
		v := m.Match(NewRequest(c.RequestURL, c.SiteURL, ParseResourceType(c.RequestType)))
		got := ddgAction(v)
		if got != want {
			t.Errorf("%s %q: Match(%s from %s, %s) = %s (%+v), want %s", c.Key, c.Name, c.RequestURL, c.SiteURL, c.RequestType, got, v, want)
			continue
		}
		if want == "redirect" {
			if err := checkSurrogate(m, v, c.ExpectRedirect); err != nil {
				t.Errorf("%s %q: %v", c.Key, c.Name, err)
				continue
			}
		}
		passed++
	}
	t.Logf("tracker-radar domain matching: %d/%d decidable cases pass", passed, total)
}

// checkSurrogate compares the surrogate a verdict names with a
// data:...;base64 URL.
func checkSurrogate(m *Matcher, v Verdict, dataURL string) error {
	_, b64, ok := strings.Cut(dataURL, ";base64,")
	if !ok {
		return fmt.Errorf("expectRedirect %q is not a base64 data URL", dataURL)
	}
	want, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return err
	}
	typ, body, ok := m.Surrogate(v.Redirect)
	if !ok {
		return fmt.Errorf("Surrogate(%q) missing", v.Redirect)
	}
	if typ != "application/javascript" || !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(want)) {
		return fmt.Errorf("Surrogate(%q) = %s %q, want application/javascript %q", v.Redirect, typ, body, want)
	}
	return nil
}

func TestDDGTrackerAllowlist(t *testing.T) {
	const file = "tracker-radar-tests/TR-domain-matching/tracker_allowlist_matching_tests.json"
	dir := "ddg-reference-tests/tracker-radar-tests/TR-domain-matching/"
	ok := testenv.DDGDecidable(t, file)
	allow, err := os.ReadFile(testenv.Shared(t, dir+"tracker_allowlist_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The reference holds only the allowlistedTrackers object: wrap it in
	// the configuration it belongs to.
	config, err := ParseString(`{"features":{"trackerAllowlist":{"state":"enabled","settings":{"allowlistedTrackers":`+string(allow)+`}}}}`,
		ListMeta{Name: "tracker allowlist"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*List{parseShared(t, dir+"tracker_allowlist_tds_reference.json", ListMeta{}), config}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Description   string `json:"description"`
		Site          string `json:"site"`
		Request       string `json:"request"`
		IsAllowlisted bool   `json:"isAllowlisted"`
	}
	testenv.ReadJSON(t, "ddg-reference-tests/"+file, &cases)
	total, passed := 0, 0
	for i, c := range cases {
		if !ok[fmt.Sprintf("(top-level list)/%d", i)] {
			continue
		}
		total++
		v := m.Match(NewRequest(c.Request, c.Site, TypeUnknown))
		got := v.Action == Exception && v.Reason == ReasonTrackerAllowlisted
		if got != c.IsAllowlisted || !got && v.Action != Block {
			t.Errorf("%d %q: Match(%s from %s) = %+v, want allowlisted %v", i, c.Description, c.Request, c.Site, v, c.IsAllowlisted)
			continue
		}
		passed++
	}
	t.Logf("tracker allowlist: %d/%d decidable cases pass", passed, total)
}

func TestDDGRequestBlocklist(t *testing.T) {
	const file = "request-blocklist/tests.json"
	dir := "ddg-reference-tests/request-blocklist/"
	var userAllow []string
	testenv.ReadJSON(t, dir+"user-allowlist-reference.json", &userAllow)
	m, err := Compile([]*List{
		parseShared(t, dir+"tds-reference.json", ListMeta{}),
		parseShared(t, dir+"config-reference.json", ListMeta{}),
		parseShared(t, dir+"surrogates-reference.txt", ListMeta{}),
	}, Options{OwnerParties: true, Allowlist: userAllow})
	if err != nil {
		t.Fatal(err)
	}
	cases := testenv.DDGRequestCases(t, file)
	total, passed := len(cases), 0
	for _, c := range cases {
		v := m.Match(NewRequest(c.RequestURL, c.WebsiteURL, ParseResourceType(c.RequestType)))
		got := "allow"
		if v.Action.Blocked() {
			got = "block"
		}
		if got != c.ExpectAction {
			t.Errorf("%s %q: Match(%s from %s, %s) = %+v, want %s", c.Key, c.Name, c.RequestURL, c.WebsiteURL, c.RequestType, v, c.ExpectAction)
			continue
		}
		passed++
	}
	t.Logf("request blocklist: %d/%d decidable cases pass", passed, total)
}

func readFileT(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(testenv.Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
