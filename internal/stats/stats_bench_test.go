// SPDX-License-Identifier: GPL-3.0-or-later

package stats

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"polaris/internal/status"
	"polaris/internal/store"
)

// BenchmarkRecordDecision is the cost of one decision for the live log and
// the counters, on the request path.
func BenchmarkRecordDecision(b *testing.B) {
	var s Stats
	s.ring = make([]status.Decision, 10_000)
	now := time.Now()
	d := status.Decision{Time: now, URL: "https://www.google-analytics.com/g/collect?v=2", Host: "www.google-analytics.com",
		Site: "news.example", Type: "xmlhttprequest", Verdict: status.Blocked, Rule: "||google-analytics.com^", List: "EasyPrivacy", Category: "analytics"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.record(d)
		}
	})
}

// BenchmarkStatsNinetyDays simulates 120 days of a heavy user (60,000
// blocked requests out of 200,000 a day, over 2,500 tracker domains a day
// drawn from 20,000, a Zipf law, written every 15 minutes of a 14-hour
// day) with the default retention of 90 days, and reports the size of the
// database: the target is under 10 MB.
func BenchmarkStatsNinetyDays(b *testing.B) {
	const (
		days         = 120
		retention    = 90
		blockedDaily = 60_000
		requests     = 200_000
		flushes      = 14 * 4
		pool         = 20_000
	)
	domains := make([]string, pool)
	for i := range domains {
		domains[i] = fmt.Sprintf("tracker-%05d.example-ads.com", i)
	}
	cats := []string{"advertising", "analytics", "social", "fingerprinting", "cryptomining", "email", "content", ""}
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		path := filepath.Join(dir, store.FileName)
		st, _, err := store.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 4, pool-1)
		var s Stats
		start := time.Now().AddDate(0, 0, -days+1)
		ctx := context.Background()
		for d := 0; d < days; d++ {
			day := start.AddDate(0, 0, d)
			// Each day favours its own 2,500 domains, drawn with a Zipf law.
			offset := rng.IntN(pool)
			for f := 0; f < flushes; f++ {
				s.pending = newBatch()
				s.pending.Requests[DayNum(day)] = requests / flushes
				for k := 0; k < blockedDaily/flushes; k++ {
					dom := domains[(int(zipf.Uint64())%2500+offset)%pool]
					s.pending.Blocked[store.DayKey{Day: DayNum(day), Key: cats[rng.IntN(len(cats))]}]++
					s.pending.Trackers[store.DayKey{Day: DayNum(day), Key: dom}]++
				}
				if err := st.AddStats(ctx, s.pending); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := st.PruneStats(ctx, DayNum(day.AddDate(0, 0, -retention+1))); err != nil {
				b.Fatal(err)
			}
		}
		st.Close() // checkpoints the WAL into the file
		size := fileSize(path) + fileSize(path+"-wal")
		rows, _ := countRows(path)
		b.ReportMetric(float64(size)/1e6, "db-MB")
		b.ReportMetric(float64(rows), "domains")
		if size > 10e6 {
			b.Errorf("database of %.1f MB after %d days, want under 10 MB", float64(size)/1e6, days)
		}
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func countRows(path string) (int64, error) {
	st, _, err := store.Open(context.Background(), path)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	top, err := st.TopTrackers(context.Background(), 0, 99999999, 1_000_000)
	return int64(len(top)), err
}
