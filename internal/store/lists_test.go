// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultSubscriptions(t *testing.T) {
	s, _ := openTemp(t)
	rows, err := s.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Catalogue)
		if !r.Enabled {
			t.Errorf("default list %q is not enabled", r.Name)
		}
	}
	want := []string{"polaris", "easyprivacy", "easylist", "peter-lowe"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default subscriptions (-want +got):\n%s", diff)
	}
}

func TestListLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.AddList(ctx, ListRow{Name: "mine", URL: "http://127.0.0.1:1/list.txt", Enabled: true, Interval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddList(ctx, ListRow{Name: "again", URL: "http://127.0.0.1:1/list.txt"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("AddList of a subscribed URL: %v, want ErrDuplicate", err)
	}
	// Local copies have no URL: several may exist.
	for i := 0; i < 2; i++ {
		if _, err := s.AddList(ctx, ListRow{Name: "file", Origin: "/tmp/x"}); err != nil {
			t.Errorf("AddList of a local copy: %v", err)
		}
	}
	now := time.Unix(1763700000, 0)
	if err := s.SaveListTry(ctx, id, ListTry{Time: now, Changed: true, ETag: `"e1"`, LastModified: "lm", Expires: 4 * 24 * time.Hour, Rules: 10, BadLines: 1, SHA256: "s1", Name: "Title"}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	if err := s.SaveListTry(ctx, id, ListTry{Time: later, Err: "the server answered 500"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveListTry(ctx, id, ListTry{Time: later.Add(time.Minute), Err: "unreachable, then an answer", Unreachable: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveListTry(ctx, id, ListTry{Time: later.Add(time.Minute), Err: "again"}); err != nil {
		t.Fatal(err)
	}
	r, err := s.List(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := ListRow{ID: id, Name: "Title", URL: "http://127.0.0.1:1/list.txt", Format: "auto", Enabled: true, Interval: 24 * time.Hour,
		ETag: `"e1"`, LastModified: "lm", Expires: 4 * 24 * time.Hour, LastTry: later.Add(time.Minute), LastSuccess: now,
		Failures: 3, LastError: "again", Rules: 10, BadLines: 1, SHA256: "s1", Added: r.Added}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("after a success and three failures, the last one an answer (-want +got):\n%s", diff)
	}
	// A try that did not reach the server says so (for a process that
	// asked the running Polaris for it); the next try decides again.
	if err := s.SaveListTry(ctx, id, ListTry{Time: later.Add(time.Minute), Err: "refused", Unreachable: true}); err != nil {
		t.Fatal(err)
	}
	if r, _ = s.List(ctx, id); !r.Unreachable || r.Failures != 4 || r.LastError != "refused" {
		t.Errorf("after a try that did not reach the server: %+v", r)
	}
	// "Not modified" is a success that keeps the copy's description.
	if err := s.SaveListTry(ctx, id, ListTry{Time: later.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	r, _ = s.List(ctx, id)
	if r.Failures != 0 || r.LastError != "" || r.Unreachable || r.SHA256 != "s1" || r.ETag != `"e1"` || !r.LastSuccess.Equal(later.Add(2*time.Minute)) {
		t.Errorf("after not-modified: %+v", r)
	}
	// The same text fetched again brings the server's validators of now
	// (it switched from an ETag to a date); a 304 after that keeps them.
	fetched := later.Add(3 * time.Minute)
	if err := s.SaveListTry(ctx, id, ListTry{Time: fetched, Fetched: true, LastModified: "Sat, 21 Nov 2026 10:00:00 GMT", Expires: 12 * time.Hour, Rules: 99, SHA256: "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveListTry(ctx, id, ListTry{Time: fetched.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	r, _ = s.List(ctx, id)
	if r.ETag != "" || r.LastModified != "Sat, 21 Nov 2026 10:00:00 GMT" || r.Expires != 12*time.Hour || r.Rules != 10 || r.SHA256 != "s1" ||
		!r.LastSuccess.Equal(fetched.Add(time.Minute)) {
		t.Errorf("after the same text with new validators, then not-modified: %+v", r)
	}
	for _, step := range []struct {
		name string
		f    func() error
	}{
		{"disable", func() error { return s.SetListEnabled(ctx, id, false) }},
		{"interval", func() error { return s.SetListInterval(ctx, id, 0) }},
		{"ask", func() error { return s.AskListUpdate(ctx, id, later) }},
	} {
		if err := step.f(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	r, _ = s.List(ctx, id)
	if r.Enabled || r.Interval != 0 || !r.UpdateAsked.Equal(later) {
		t.Errorf("after disable, interval off, ask: %+v", r)
	}
	if err := s.RemoveList(ctx, id); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"List":           func() error { _, err := s.List(ctx, id); return err }(),
		"RemoveList":     s.RemoveList(ctx, id),
		"SetListEnabled": s.SetListEnabled(ctx, id, true),
		"SaveListTry":    s.SaveListTry(ctx, id, ListTry{Time: now}),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a removed list: %v, want ErrNotFound", name, err)
		}
	}
}

func TestStatsAddQueryPrune(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	batch := func(day int, reqs int64, cat, dom string, n int64) StatsBatch {
		return StatsBatch{
			Requests: map[int]int64{day: reqs},
			Blocked:  map[DayKey]int64{{day, cat}: n},
			Trackers: map[DayKey]int64{{day, dom}: n},
		}
	}
	for _, b := range []StatsBatch{
		batch(20251119, 10, "advertising", "ads.example", 2),
		batch(20251119, 1, "advertising", "gone.example", 1),
		batch(20251120, 100, "advertising", "ads.example", 5),
		batch(20251120, 50, "analytics", "stats.example", 7),
		batch(20251121, 1, "", "ads.example", 1),
		{},
	} {
		if err := s.AddStats(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	days, err := s.DailyStats(ctx, 20251120, 20251121)
	if err != nil {
		t.Fatal(err)
	}
	want := []DayCounts{
		{Day: 20251120, Requests: 150, Blocked: 12, ByCategory: map[string]int64{"advertising": 5, "analytics": 7}},
		{Day: 20251121, Requests: 1, Blocked: 1, ByCategory: map[string]int64{"": 1}},
	}
	if diff := cmp.Diff(want, days); diff != "" {
		t.Errorf("DailyStats (-want +got):\n%s", diff)
	}
	top, err := s.TopTrackers(ctx, 20251119, 20251121, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]TrackerCount{{"ads.example", 8}, {"stats.example", 7}, {"gone.example", 1}}, top); diff != "" {
		t.Errorf("TopTrackers (-want +got):\n%s", diff)
	}
	n, err := s.PruneStats(ctx, 20251120)
	if err != nil || n != 4 {
		t.Errorf("PruneStats = %d, %v; want 4 rows", n, err)
	}
	var domains int
	s.db.QueryRow("SELECT COUNT(*) FROM stats_domains WHERE domain = 'gone.example'").Scan(&domains)
	if domains != 0 {
		t.Error("a domain no day refers to any more was kept")
	}
	days, _ = s.DailyStats(ctx, 0, 99999999)
	if len(days) != 2 || days[0].Day != 20251120 {
		t.Errorf("after pruning: %+v", days)
	}
}
