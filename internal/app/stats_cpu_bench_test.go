// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"polaris/internal/status"
)

// BenchmarkStatsAt10kPerSecond is the whole cost of statistics for a
// proxy blocking 10,000 requests a second: 30 seconds of decisions (300,000,
// over 2,500 tracker domains of a Zipf mix and the categories) recorded on
// the request path, then the flush that writes them to a real database file
// (the App's 30-second cadence, with its read-back for the window). The CPU
// time of both, per second of traffic, is reported as "core-%": the share of
// one core statistics take at that rate (issue 9: blocking 10,000 requests/s
// must not slow the proxy by more than 2 %).
func BenchmarkStatsAt10kPerSecond(b *testing.B) {
	const (
		rate    = 10_000
		seconds = 30
		pool    = 2_500
	)
	domains := make([]string, pool)
	for i := range domains {
		domains[i] = fmt.Sprintf("tracker-%04d.example-ads.com", i)
	}
	cats := []string{"advertising", "analytics", "social", "fingerprinting", "email"}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 4, pool-1)
	ds := make([]status.Decision, 4096)
	now := time.Now()
	for i := range ds {
		host := "www." + domains[zipf.Uint64()]
		ds[i] = status.Decision{Time: now, URL: "https://" + host + "/pixel?id=1", Host: host, Site: "news.example",
			Type: "image", Verdict: status.Blocked, Rule: "||" + host + "^", List: "EasyPrivacy", Category: cats[i%len(cats)]}
	}
	a, err := Open(context.Background(), Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	a.stats.Start()
	ctx := context.Background()
	var cpu time.Duration
	for b.Loop() {
		before := cpuTime()
		for i := 0; i < rate*seconds; i++ {
			a.stats.Record(ds[i%len(ds)])
		}
		a.stats.Flush(ctx)
		cpu += cpuTime() - before
	}
	perSecond := cpu / time.Duration(b.N*seconds)
	b.ReportMetric(float64(perSecond)/float64(time.Second)*100, "core-%")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*rate*seconds), "cpu-ns/decision")
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
