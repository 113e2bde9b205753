// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// procCPU returns the CPU time (user+system) a process has used.
func procCPU(b testing.TB, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// BenchmarkProxyCPU measures the CPU time the Polaris process spends per
// request (1 KiB answers, one kept-alive client, one site), direct and in
// Tor mode on the private network (tor's own CPU is not counted: it is
// another process), and the time from "Tor on" to the first byte.
//
//	go test -run XXX -bench ProxyCPU -benchtime 2000x .
func BenchmarkProxyCPU(b *testing.B) {
	body := strings.Repeat("x", 1024)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer origin.Close()
	for _, mode := range []string{"direct", "tor-cold", "tor-warm"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			if mode != "direct" {
				n := testenv.StartTornet(b)
				polaris(b, dir, "config", "set", "tor", "on")
				polaris(b, dir, "config", "set", "tor.torrc", n.Torrc)
				if mode == "tor-warm" {
					// Bootstrap once so the data dir is warm, then stop.
					r := startPolaris(b, dir)
					waitThrough(b, r, origin.URL)
					r.stop(b)
				}
			}
			start := time.Now()
			r := startPolaris(b, dir)
			defer r.stop(b)
			waitThrough(b, r, origin.URL)
			firstByte := time.Since(start)
			c := r.client()
			cpu0 := procCPU(b, r.cmd.Process.Pid)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := c.Get(origin.URL + "/1k")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.StopTimer()
			cpu := procCPU(b, r.cmd.Process.Pid) - cpu0
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "proxy-cpu-µs/req")
			if mode != "direct" {
				b.ReportMetric(float64(firstByte.Milliseconds()), "ms-start-to-first-byte")
			}
		})
	}
}

// waitThrough waits until a request through r succeeds (Tor connected).
func waitThrough(b testing.TB, r *running, u string) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := r.client().Get(u)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("no successful request through Polaris within 90 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
