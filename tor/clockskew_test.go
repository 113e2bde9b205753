// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"polaris/internal/status"
)

// clockShim moves CLOCK_REALTIME (time, gettimeofday, clock_gettime) of the
// process it is preloaded into by SKEW_OFFSET seconds.
const clockShim = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
static long off(void) { const char *s = getenv("SKEW_OFFSET"); return s ? atol(s) : 0; }
int clock_gettime(clockid_t c, struct timespec *ts) {
	int (*real)(clockid_t, struct timespec *) = dlsym(RTLD_NEXT, "clock_gettime");
	int r = real(c, ts);
	if (r == 0 && ts && (c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE)) ts->tv_sec += off();
	return r;
}
int gettimeofday(struct timeval *tv, void *tz) {
	int (*real)(struct timeval *, void *) = dlsym(RTLD_NEXT, "gettimeofday");
	int r = real(tv, tz);
	if (r == 0 && tv) tv->tv_sec += off();
	return r;
}
time_t time(time_t *t) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t) *t = ts.tv_sec;
	return ts.tv_sec;
}
`

// skewedTor returns a tor program whose clock is offset seconds off (an
// LD_PRELOAD shim built with cc). It skips the test when the shim cannot be
// built or does not move the clock.
func skewedTor(t *testing.T, offset int) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc) to build the clock shim: skipping the real clock-skew test")
	}
	torBin, err := exec.LookPath("tor")
	if err != nil {
		t.Skip("tor is not installed")
	}
	dir := t.TempDir()
	src, so := filepath.Join(dir, "shim.c"), filepath.Join(dir, "shim.so")
	if err := os.WriteFile(src, []byte(clockShim), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", so, src, "-ldl").CombinedOutput(); err != nil {
		t.Skipf("building the clock shim: %v\n%s", err, out)
	}
	env := []string{"LD_PRELOAD=" + so, "SKEW_OFFSET=" + strconv.Itoa(offset)}
	cmd := exec.Command("date", "+%s")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	shifted, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || shifted-time.Now().Unix() > int64(offset)+60 || shifted-time.Now().Unix() < int64(offset)-60 {
		t.Skipf("the clock shim does not work here (date says %q, %v)", out, err)
	}
	wrapper := filepath.Join(dir, "tor-skewed")
	script := fmt.Sprintf("#!/bin/sh\nexport %s %s\nexec '%s' \"$@\"\n", env[0], env[1], torBin)
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return wrapper
}

// A real tor whose clock is 3 hours behind, on the private network: tor
// says "our clock is behind by 2 hours, 59 minutes" and Polaris must say
// the same (never "ahead", never "cannot reach the Tor network"), and once
// Tor is ready only a warning that says Tor works.
func TestClockSkewPrivateNetwork(t *testing.T) {
	n := privateNet(t)
	bin := skewedTor(t, -3*3600)
	w := newWatcher()
	cfg := n.config(t, "")
	cfg.Binary, cfg.OnStatus = bin, w.onStatus
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())

	w.waitFor(t, 0, 60*time.Second, "saying the clock is behind", func(st status.Tor) bool {
		return strings.Contains(st.Err, "This computer's clock is about 3 hours behind")
	})
	ready := w.waitFor(t, 0, 90*time.Second, "ready", isReady)
	const warning = "This computer's clock is about 3 hours behind. Tor is connected anyway, but may stop working until you set the correct date, time and time zone."
	if got := w.statuses()[ready].Err; got != warning {
		t.Errorf("Err when Tor became ready = %q, want %q", got, warning)
	}
	time.Sleep(2 * time.Second) // tor meets more relays, and warns again
	for _, st := range w.statuses() {
		switch {
		case st.Err != "" && !strings.HasPrefix(st.Err, "This computer's clock is about 3 hours behind"):
			t.Errorf("status %s %d%%: Err = %q, want the clock 3 hours behind", st.State, st.Progress, st.Err)
		case st.State == status.TorReady && st.Err != warning:
			t.Errorf("status ready: Err = %q, want %q", st.Err, warning)
		}
	}
	if st := c.Status(); st.State != status.TorReady || st.Err != warning {
		t.Errorf("final status %+v, want ready with Err %q", st, warning)
	}
}
