// SPDX-License-Identifier: GPL-3.0-or-later

package instance

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/status"
)

// fakeHandler answers like a running Polaris with a window, and counts.
type fakeHandler struct {
	shown   atomic.Int32
	changed atomic.Int32
	paused  atomic.Int64 // the last pause asked, 0 after a resume
}

func (h *fakeHandler) Show() bool      { h.shown.Add(1); return true }
func (h *fakeHandler) Tor() status.Tor { return status.Tor{Enabled: true, State: status.TorReady} }
func (h *fakeHandler) NewIdentity(context.Context) error {
	return errors.New("Tor is not connected yet")
}
func (h *fakeHandler) NewCircuit(_ context.Context, site string) (string, error) {
	if site == "bad site" {
		return "", errors.New("\"bad site\" is not a site")
	}
	return "site-of:" + site, nil
}
func (h *fakeHandler) Circuit(_ context.Context, site string) (status.Circuit, error) {
	return status.Circuit{ID: "7", Site: site}, nil
}
func (h *fakeHandler) Pause(d time.Duration) (status.Blocking, error) {
	h.paused.Store(int64(d))
	return status.Blocking{PausedUntilRestart: d < 0}, nil
}
func (h *fakeHandler) Resume() (status.Blocking, error) {
	h.paused.Store(0)
	return status.Blocking{Enabled: true}, nil
}
func (h *fakeHandler) Changed() { h.changed.Add(1) }
func (h *fakeHandler) Snowflake() status.Snowflake {
	return status.Snowflake{Enabled: true, State: status.SnowflakeRunning, Capacity: 5, Helped: 4, Restarts: 1}
}

// serveFake serves the endpoint of dir with a fakeHandler until the test
// ends.
func serveFake(t *testing.T, dir string) *fakeHandler {
	t.Helper()
	h := &fakeHandler{}
	s, err := Serve(dir, h, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return h
}

// Every verb goes through the endpoint and comes back typed.
func TestClientVerbs(t *testing.T) {
	dir := t.TempDir()
	c := Client{Dir: dir}
	if _, err := c.RunningTor(); !errors.Is(err, ErrNoInstance) || !strings.Contains(err.Error(), "no Polaris is running") {
		t.Fatalf("RunningTor with nothing running = %v, want ErrNoInstance", err)
	}
	if err := Notify(dir); err != nil {
		t.Errorf("Notify with nothing running = %v, want nil", err)
	}
	h := serveFake(t, dir)
	if st, err := c.RunningTor(); err != nil || st.State != status.TorReady {
		t.Errorf("RunningTor() = %+v, %v", st, err)
	}
	if err := c.RunningNewIdentity(); err == nil || err.Error() != "Tor is not connected yet" {
		t.Errorf("RunningNewIdentity() = %v, want the handler's error as it is", err)
	}
	if site, err := c.RunningNewCircuit("https://www.example.com/a?b"); err != nil || site != "site-of:https://www.example.com/a?b" {
		t.Errorf("RunningNewCircuit() = %q, %v", site, err)
	}
	if _, err := c.RunningNewCircuit("bad site"); err == nil || err.Error() != `"bad site" is not a site` {
		t.Errorf("RunningNewCircuit(bad) = %v, want the handler's error", err)
	}
	if circ, err := c.RunningCircuit("example.com"); err != nil || circ.Site != "example.com" || circ.ID != "7" {
		t.Errorf("RunningCircuit() = %+v, %v", circ, err)
	}
	if st, err := c.RunningPause(-1); err != nil || !st.PausedUntilRestart || h.paused.Load() != -1 {
		t.Errorf("RunningPause(-1) = %+v, %v (handler got %v)", st, err, time.Duration(h.paused.Load()))
	}
	if _, err := c.RunningPause(30 * time.Minute); err != nil || h.paused.Load() != int64(30*time.Minute) {
		t.Errorf("RunningPause(30m) = %v (handler got %v)", err, time.Duration(h.paused.Load()))
	}
	if st, err := c.RunningResume(); err != nil || !st.Enabled || h.paused.Load() != 0 {
		t.Errorf("RunningResume() = %+v, %v", st, err)
	}
	if err := Notify(dir); err != nil || h.changed.Load() != 1 {
		t.Errorf("Notify() = %v, changed %d times; want nil, 1", err, h.changed.Load())
	}
}

// A second Acquire on the same data dir fails while the first holds it.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Acquire = %v, want ErrAlreadyRunning", err)
	}
	if !Held(dir) {
		t.Error("Held = false while locked")
	}
	l.Release()
	if Held(dir) {
		t.Error("Held = true after Release")
	}
}
