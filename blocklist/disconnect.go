// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// parseDisconnectServices reads Disconnect's services.json: for each
// category a list of services, each a name, a home page and the domains
// it serves from. Every domain becomes a third-party block rule tagged
// with the service's category; the rule text says where it came from.
func parseDisconnectServices(l *List, text string) error {
	var doc struct {
		Categories map[string][]map[string]map[string]json.RawMessage `json:"categories"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("disconnect services: %w", jsonError(text, err))
	}
	if doc.Categories == nil {
		return errors.New(`disconnect services: no "categories" object`)
	}
	cats := make([]string, 0, len(doc.Categories))
	for c := range doc.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats) // deterministic rule order
	for _, c := range cats {
		cat := catIndex(string(disconnectCategory(c)))
		for _, svc := range doc.Categories[c] {
			for name, props := range svc {
				l.addDisconnectService(c, name, props, uint8(cat))
			}
		}
	}
	return nil
}

func (l *List) addDisconnectService(cat, name string, props map[string]json.RawMessage, catIdx uint8) {
	for _, raw := range props {
		var domains []string
		if json.Unmarshal(raw, &domains) != nil {
			continue // flags such as "performance": "true"
		}
		for _, d := range domains {
			l.Stats.Lines++
			h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
			text := fmt.Sprintf("%s (Disconnect %s: %s)", h, cat, name)
			host, path, hasPath := strings.Cut(h, "/")
			if !isHostname(host) {
				l.Stats.Bad++
				l.addError(jsonLine(l.src, cat, name, d), text, fmt.Errorf("%q is not a host name", d))
				continue
			}
			f := hostFilter(h, fParty3)
			if hasPath { // "yandex.ru/clck/click": a host and path prefix
				f = filter{pat: []byte(host + "/" + path), hostLen: uint8(len(host)),
					flags: fParty3 | fAnchorHost | fHostSplit | fPlain}
			}
			f.types = maskAllTypes
			f.cat = catIdx
			l.addFilter(f, text)
			l.Stats.Rules++
		}
	}
}

// parseDisconnectEntities reads Disconnect's entities.json: each owner with
// its "properties" (sites) and "resources" (tracker domains).
func parseDisconnectEntities(l *List, text string) error {
	var doc struct {
		Entities map[string]struct {
			Properties []string `json:"properties"`
			Resources  []string `json:"resources"`
		} `json:"entities"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("disconnect entities: %w", jsonError(text, err))
	}
	names := make([]string, 0, len(doc.Entities))
	for n := range doc.Entities {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := doc.Entities[n]
		l.Stats.Lines++
		def := entityDef{name: n}
		for _, d := range append(e.Properties, e.Resources...) {
			h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
			if !isHostname(h) {
				l.Stats.Bad++
				l.addError(jsonLine(l.src, n, d), n+": "+d, errors.New("not a host name"))
				continue
			}
			def.domains = append(def.domains, h)
		}
		if len(def.domains) > 0 {
			l.entities = append(l.entities, def)
			l.Stats.Entities++
		}
	}
	return nil
}
