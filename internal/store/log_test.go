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
	if err := s.AppendLog(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.RecentLog(ctx, 3)
	if err != nil || len(got) != 3 || got[2].URL != "https://t.example/9" || got[0].Verdict != status.Blocked {
		t.Fatalf("RecentLog(3) = %+v, %v", got, err)
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
}
