// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"polaris/assets"
	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
)

// The list catalogue (assets/lists/catalogue.json) names the well-known
// lists a user can subscribe to. Polaris downloads them itself; only its
// own small list is embedded.

// builtinPrefix marks the URL of a list embedded in Polaris.
const builtinPrefix = "builtin:"

// catalogueFile is the catalogue's JSON form.
type catalogueFile struct {
	Version int `json:"version"`
	Lists   []struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		URL           string `json:"url"`
		Format        string `json:"format"`
		Category      string `json:"category"`
		License       string `json:"license"`
		NonCommercial bool   `json:"nonCommercial"`
		Homepage      string `json:"homepage"`
		Default       bool   `json:"default"`
		Interval      string `json:"interval"`
		Description   string `json:"description"`
	} `json:"lists"`
}

var catalogueID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// parseCatalogue reads and checks a catalogue: unique ids, http(s) or
// builtin URLs, known formats, categories and intervals.
func parseCatalogue(data []byte) ([]status.CatalogueEntry, error) {
	var f catalogueFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading the list catalogue: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("list catalogue version %d: want 1", f.Version)
	}
	seen := map[string]bool{}
	var out []status.CatalogueEntry
	for i, l := range f.Lists {
		e := status.CatalogueEntry{
			ID: l.ID, Name: strings.TrimSpace(l.Name), URL: l.URL, Format: l.Format, Category: l.Category,
			License: l.License, NonCommercial: l.NonCommercial, Homepage: l.Homepage, Default: l.Default,
			Description: l.Description,
		}
		if err := checkCatalogueEntry(&e, l.Interval, seen); err != nil {
			return nil, fmt.Errorf("list catalogue entry %d (%q): %w", i+1, l.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func checkCatalogueEntry(e *status.CatalogueEntry, interval string, seen map[string]bool) error {
	if !catalogueID.MatchString(e.ID) {
		return errors.New("the id must be lower-case letters, digits and '-'")
	}
	if seen[e.ID] {
		return errors.New("duplicate id")
	}
	seen[e.ID] = true
	if e.Name == "" {
		return errors.New("no name")
	}
	if !strings.HasPrefix(e.URL, builtinPrefix) {
		if err := checkListURL(e.URL); err != nil {
			return err
		}
	}
	if _, err := blocklist.ParseFormat(e.Format); err != nil {
		return err
	}
	if err := checkCategory(e.Category); err != nil {
		return err
	}
	d, err := settings.ParseListInterval(interval)
	if err != nil {
		return err
	}
	e.Interval = d
	return nil
}

// checkListURL accepts absolute http and https URLs with a host.
func checkListURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%q is not an http(s) address of a list", raw)
	}
	return nil
}

func checkCategory(c string) error {
	if c == "" || blocklist.IsCategory(c) {
		return nil
	}
	return fmt.Errorf("unknown category %q", c)
}

var catalogue = sync.OnceValues(func() ([]status.CatalogueEntry, error) {
	data, err := assets.Lists.ReadFile("lists/catalogue.json")
	if err != nil {
		return nil, err
	}
	return parseCatalogue(data)
})

// catalogueEntry returns the catalogue entry with the given id or URL.
func catalogueEntry(idOrURL string) (status.CatalogueEntry, bool) {
	cat, _ := catalogue()
	for _, e := range cat {
		if e.ID == idOrURL || e.URL == idOrURL {
			return e, true
		}
	}
	return status.CatalogueEntry{}, false
}

// builtinText returns the embedded text of a built-in list and a digest of
// everything it is made of.
func builtinText(name string) (rules, entities []byte, digest string, err error) {
	if name != "polaris" {
		return nil, nil, "", fmt.Errorf("no built-in list %q", name)
	}
	if rules, err = assets.Lists.ReadFile("lists/polaris.txt"); err != nil {
		return nil, nil, "", err
	}
	if entities, err = assets.Lists.ReadFile("lists/polaris-entities.json"); err != nil {
		return nil, nil, "", err
	}
	h := sha256.New()
	h.Write(rules)
	h.Write(entities)
	return rules, entities, "builtin-" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// parseBuiltin parses the built-in list: its rules, one list per
// "! Category:" section so each section gets its category, and its
// entity map.
func parseBuiltin(name string, meta blocklist.ListMeta) ([]*blocklist.List, blocklist.ListStats, error) {
	rules, entities, _, err := builtinText(name)
	if err != nil {
		return nil, blocklist.ListStats{}, err
	}
	var out []*blocklist.List
	var total blocklist.ListStats
	for _, sec := range categorySections(string(rules)) {
		m := meta
		m.Category, m.Format = sec.category, blocklist.FormatABP
		l, err := blocklist.ParseString(sec.text, m)
		if err != nil {
			if errors.Is(err, blocklist.ErrNoRules) {
				continue
			}
			return nil, total, err
		}
		total.Rules += l.Stats.Rules
		total.Bad += l.Stats.Bad
		out = append(out, l)
	}
	m := meta
	m.Category, m.Format = "", blocklist.FormatDisconnectEntities
	l, err := blocklist.ParseString(string(entities), m)
	if err != nil {
		return nil, total, err
	}
	return append(out, l), total, nil
}

type section struct {
	category string
	text     string
}

// categorySections splits an Adblock Plus list at "! Category: NAME"
// lines. Lines keep their place (earlier sections' lines become blank), so
// parse errors carry the list's own line numbers.
func categorySections(text string) []section {
	lines := strings.Split(text, "\n")
	var out []section
	start, cat := 0, ""
	flush := func(end int) {
		if end > start {
			blank := strings.Repeat("\n", start)
			out = append(out, section{category: cat, text: blank + strings.Join(lines[start:end], "\n")})
		}
	}
	for i, line := range lines {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "! Category:"); ok {
			flush(i)
			start, cat = i, strings.ToLower(strings.TrimSpace(v))
			if checkCategory(cat) != nil {
				cat = string(settings.CatOther)
			}
		}
	}
	flush(len(lines))
	return out
}
