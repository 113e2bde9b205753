// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"polaris/internal/status"
)

func TestRequestLog(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Now()
	var ds []status.Decision
	for i := 0; i < 10; i++ {
		ds = append(ds, status.Decision{Time: now.Add(time.Duration(i-10) * time.Hour), URL: fmt.Sprintf("https://t.example/%d", i),
			Host: "t.example", Verdict: status.Blocked, Rule: "||t.example^", List: "L", Category: "analytics"})
	}
	// A hidden tracker: the chain and the name that was blocked are kept.
	ds[9].CNAMEs, ds[9].CNAME = []string{"edge.t.example", "t.example.tracker.example"}, "t.example.tracker.example"
	if err := s.AppendLog(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.RecentLog(ctx, 3)
	if err != nil || len(got) != 3 || got[2].URL != "https://t.example/9" || got[0].Verdict != status.Blocked {
		t.Fatalf("RecentLog(3) = %+v, %v", got, err)
	}
	if c := got[2]; len(c.CNAMEs) != 2 || c.CNAMEs[1] != "t.example.tracker.example" || c.CNAME != c.CNAMEs[1] || len(got[1].CNAMEs) != 0 {
		t.Errorf("the chain came back as %v / %q (and %v on a row without one)", c.CNAMEs, c.CNAME, got[1].CNAMEs)
	}
	// Older than 5 h: rows 0..4 go; then keep at most 3 rows.
	n, err := s.PruneLog(ctx, now.Add(-5*time.Hour-time.Minute), 3)
	if err != nil || n != 7 {
		t.Fatalf("PruneLog deleted %d (%v), want 7", n, err)
	}
	got, _ = s.RecentLog(ctx, 100)
	if len(got) != 3 || got[0].URL != "https://t.example/7" {
		t.Errorf("after pruning: %+v", got)
	}
	if n, err := s.ClearLog(ctx); n != 3 || err != nil {
		t.Errorf("ClearLog = %d, %v", n, err)
	}
	var left int
	s.db.QueryRow("SELECT count(*) FROM request_log_cnames").Scan(&left)
	if left != 0 {
		t.Errorf("%d chains outlived the cleared log", left)
	}
}
