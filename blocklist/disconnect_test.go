// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"testing"
)

const servicesJSON = `{
  "license": "test",
  "categories": {
    "Advertising": [{"AdCo": {"https://adco.example/": ["adco.example", "adco-cdn.example"]}}],
    "Social": [{"Face": {"https://face.example/": ["face.example", "facecdn.example"], "performance": "true"}}],
    "Content": [{"Vid": {"https://vid.example/": ["vid.example"]}}],
    "FingerprintingInvasive": [{"FP": {"https://fp.example/": ["fp.example", "not a host"]}}]
  }
}`

const entitiesJSON = `{
  "license": "test",
  "entities": {
    "Face Inc": {"properties": ["face.example", "facenews.example"], "resources": ["facecdn.example"]},
    "AdCo": {"properties": ["adco.example"], "resources": ["adco-cdn.example"]}
  }
}`

func TestParseDisconnect(t *testing.T) {
	svc, err := ParseString(servicesJSON, ListMeta{Name: "Disconnect"})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Meta.Format != FormatDisconnectServices || svc.Stats.Rules != 6 || svc.Stats.Bad != 1 {
		t.Fatalf("services: format %v stats %+v errors %v", svc.Meta.Format, svc.Stats, svc.Errors)
	}
	ent, err := ParseString(entitiesJSON, ListMeta{Name: "Entities"})
	if err != nil {
		t.Fatal(err)
	}
	if ent.Meta.Format != FormatDisconnectEntities || ent.Stats.Entities != 2 {
		t.Fatalf("entities: format %v stats %+v", ent.Meta.Format, ent.Stats)
	}
	tests := []struct {
		name     string
		owners   bool
		cats     []string
		url, src string
		want     Action
		wantCat  string
		reason   Reason
		tracker  bool // Verdict.Tracker: let through, but still a tracker
	}{
		{"third party ad", true, nil, "https://x.adco.example/a.js", "https://news.example/", Block, "advertising", ReasonRule, false},
		{"first party by domain", false, nil, "https://adco.example/a.js", "https://www.adco.example/", Allow, "", ReasonNone, false},
		{"first party by owner", true, nil, "https://facecdn.example/sdk.js", "https://facenews.example/", Allow, "", ReasonNone, true},
		{"owner parties off", false, nil, "https://facecdn.example/sdk.js", "https://facenews.example/", Block, "social", ReasonRule, false},
		{"other owner", true, nil, "https://facecdn.example/sdk.js", "https://adco.example/", Block, "social", ReasonRule, false},
		{"category off", true, []string{"advertising"}, "https://facecdn.example/sdk.js", "https://news.example/", Allow, "social", ReasonCategoryOff, false},
		{"fingerprinting", true, nil, "https://fp.example/x", "https://news.example/", Block, "fingerprinting", ReasonRule, false},
		{"content", true, nil, "https://vid.example/x", "https://news.example/", Block, "content", ReasonRule, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile([]*List{svc, ent}, Options{OwnerParties: tt.owners, Categories: tt.cats})
			if err != nil {
				t.Fatal(err)
			}
			v := m.Match(NewRequest(tt.url, tt.src, TypeScript))
			if v.Action != tt.want || v.Category != tt.wantCat || v.Reason != tt.reason || v.Tracker != tt.tracker {
				t.Errorf("Match(%q from %q) = %+v, want %v %q %v", tt.url, tt.src, v, tt.want, tt.wantCat, tt.reason)
			}
		})
	}
	m, _ := Compile([]*List{svc, ent}, Options{OwnerParties: true})
	if v := m.Match(NewRequest("https://facecdn.example/x", "https://news.example/", TypeImage)); v.Owner != "Face Inc" {
		t.Errorf("Owner = %q, want Face Inc", v.Owner)
	}
}

func TestParseDisconnectRealLists(t *testing.T) {
	svc := parseShared(t, "blocklists/disconnect-services.json", ListMeta{})
	ent := parseShared(t, "blocklists/disconnect-entities.json", ListMeta{})
	if svc.Stats.Rules < 2000 || ent.Stats.Entities < 1000 {
		t.Errorf("services %+v, entities %+v", svc.Stats, ent.Stats)
	}
	t.Logf("services %+v (errors %d); entities %+v (errors %d)", svc.Stats, len(svc.Errors), ent.Stats, len(ent.Errors))
	m, err := Compile([]*List{svc, ent}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	// facebook.com loading fbcdn.net is first party by owner.
	if v := m.Match(NewRequest("https://static.xx.fbcdn.net/rsrc.php", "https://www.facebook.com/", TypeScript)); v.Action.Blocked() {
		t.Errorf("fbcdn on facebook.com: %+v, want allowed", v)
	}
	if v := m.Match(NewRequest("https://connect.facebook.net/en_US/fbevents.js", "https://news.example/", TypeScript)); !v.Action.Blocked() {
		t.Errorf("facebook pixel on a news site: %+v, want blocked", v)
	}
}

func TestDisconnectPathEntries(t *testing.T) {
	l, err := ParseString(`{"categories":{"Advertising":[{"Y":{"https://y.example/":["y.example/clck/click"]}}]}}`, ListMeta{Name: "d"})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Compile([]*List{l}, Options{})
	for url, want := range map[string]Action{
		"https://y.example/clck/click?x=1": Block,
		"https://mc.y.example/clck/click":  Block,
		"https://y.example/other":          Allow,
		"https://y.example.org/clck/click": Allow,
	} {
		if v := m.Match(NewRequest(url, "https://news.example/", TypeImage)); v.Action != want {
			t.Errorf("Match(%q) = %v, want %v", url, v.Action, want)
		}
	}
}
