// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !nogui

package e2e

// The real window under Xvfb: the GUI binary starts, its window maps and
// renders something other than a blank rectangle, a second start brings
// the first window forward instead of starting another engine, and
// SIGTERM stops the engine cleanly. Benchmarks measure the time from exec
// to the window being mapped, the idle CPU and the RSS.

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"polaris/internal/testenv"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	guiOnce   sync.Once
	guiBinary string
	guiErr    error
)

// buildGUI builds the default (windowed) binary once per test run.
func buildGUI(tb testing.TB) string {
	tb.Helper()
	guiOnce.Do(func() {
		dir, err := os.MkdirTemp("", "polaris-gui")
		if err != nil {
			guiErr = err
			return
		}
		guiBinary = filepath.Join(dir, "polaris")
		out, err := exec.Command("go", "build", "-tags", "no_emoji", "-o", guiBinary, "polaris").CombinedOutput() // as make build
		if err != nil {
			guiErr = fmt.Errorf("building the GUI binary: %v\n%s", err, out)
		}
	})
	if guiErr != nil {
		tb.Fatal(guiErr)
	}
	return guiBinary
}

// xvfb starts a private X server and returns its DISPLAY, once a client
// can connect to it: a server that reported its display but takes no
// connection (seen once in a full run: the window's program found no X
// server) is replaced, up to three times. Its own messages are logged if
// the test fails.
func xvfb(tb testing.TB) string {
	tb.Helper()
	if _, err := exec.LookPath("xvfb-run"); err != nil {
		tb.Skip("xvfb-run is missing: install the Debian package xvfb (make deps-test does) to test the window")
	}
	for _, tool := range []string{"Xvfb", "xwininfo", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s is missing (Debian packages xvfb, x11-utils, imagemagick; make deps-test installs them)", tool)
		}
	}
	var last string
	for range 3 {
		display, stderr, stop, err := startXvfb()
		if err == nil && xAnswers(display, 10*time.Second) {
			tb.Cleanup(func() {
				stop()
				if tb.Failed() && stderr.String() != "" {
					tb.Logf("Xvfb %s said:\n%s", display, stderr)
				}
			})
			return display
		}
		stop()
		last = fmt.Sprintf("display %q: %v; Xvfb said: %s", display, err, stderr)
	}
	tb.Fatalf("no usable X server after three tries: %s", last)
	return ""
}

// startXvfb starts Xvfb, which picks a free display and reports it when it
// is ready; stop ends it.
func startXvfb() (display string, stderr *syncBuffer, stop func(), err error) {
	stderr = &syncBuffer{}
	stop = func() {}
	r, w, err := os.Pipe()
	if err != nil {
		return "", stderr, stop, err
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x900x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return "", stderr, stop, err
	}
	w.Close()
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		return "", stderr, stop, fmt.Errorf("Xvfb did not report its display: %w", err)
	}
	return ":" + strings.TrimSpace(line), stderr, stop, nil
}

// xAnswers reports whether an X client can connect to display within d.
func xAnswers(display string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		cmd := exec.Command("xwininfo", "-root")
		cmd.Env = []string{"DISPLAY=" + display}
		if cmd.Run() == nil {
			return true
		}
	}
	return false
}

// gui is a running GUI polaris.
type gui struct {
	cmd     *exec.Cmd
	display string
	started time.Time
	log     *syncBuffer
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// guiEnv is the environment of a GUI process on display: no session bus
// of the developer's desktop, a private runtime dir, the light theme.
func guiEnv(tb testing.TB, display string) []string {
	rt := filepath.Join(tb.TempDir(), "run")
	os.Mkdir(rt, 0o700)
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "DISPLAY" || k == "DBUS_SESSION_BUS_ADDRESS" || k == "XDG_RUNTIME_DIR" ||
			k == "WAYLAND_DISPLAY" || k == "POLARIS_DATA_DIR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DISPLAY="+display, "XDG_RUNTIME_DIR="+rt, "FYNE_THEME=light", "DBUS_SESSION_BUS_ADDRESS=disabled:")
}

func startGUI(tb testing.TB, bin, display, dataDir string, args ...string) *gui {
	tb.Helper()
	return startGUIEnv(tb, bin, display, dataDir, nil, args...)
}

// startGUIEnv is startGUI with more environment variables.
func startGUIEnv(tb testing.TB, bin, display, dataDir string, env []string, args ...string) *gui {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"--data-dir", dataDir, "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(guiEnv(tb, display), env...)
	g := &gui{cmd: cmd, display: display, log: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = g.log, g.log
	g.started = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { g.done <- cmd.Wait() }()
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-g.done
		}
	})
	return g
}

// window waits for the Polaris window to be mapped and returns its id.
func (g *gui) window(tb testing.TB, timeout time.Duration) string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if id := mappedWindow(g.display, "Polaris"); id != "" {
			return id
		}
		select {
		case err := <-g.done:
			tb.Fatalf("polaris exited before its window appeared (%v):\n%s", err, g.log)
		case <-time.After(10 * time.Millisecond):
		}
	}
	tb.Fatalf("no Polaris window within %v:\n%s", timeout, g.log)
	return ""
}

var treeLine = regexp.MustCompile(`^\s*(0x[0-9a-f]+) "([^"]*)"`)

// mappedWindow returns the id of a viewable top-level window named name.
func mappedWindow(display, name string) string {
	cmd := exec.Command("xwininfo", "-root", "-children")
	cmd.Env = []string{"DISPLAY=" + display}
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		m := treeLine.FindStringSubmatch(line)
		if m == nil || m[2] != name {
			continue
		}
		info := exec.Command("xwininfo", "-id", m[1])
		info.Env = cmd.Env
		if b, err := info.Output(); err == nil && bytes.Contains(b, []byte("IsViewable")) {
			return m[1]
		}
	}
	return ""
}

// capture grabs the window as an image.
func capture(tb testing.TB, display, id string) image.Image {
	tb.Helper()
	cmd := exec.Command("import", "-window", id, "png:-")
	cmd.Env = []string{"DISPLAY=" + display, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("import -window %s: %v", id, err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		tb.Fatalf("decoding the capture: %v", err)
	}
	return img
}

// variance returns the variance of the luminance and the number of
// distinct colours of img.
func variance(img image.Image) (float64, int) {
	var sum, sq float64
	colours := map[uint32]bool{}
	b := img.Bounds()
	n := float64(b.Dx() * b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := 0.299*float64(r>>8) + 0.587*float64(g>>8) + 0.114*float64(bl>>8)
			sum += l
			sq += l * l
			if len(colours) < 10000 {
				colours[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			}
		}
	}
	mean := sum / n
	return sq/n - mean*mean, len(colours)
}

// rendered waits until the window shows more than a blank area.
func (g *gui) rendered(tb testing.TB, id string) image.Image {
	tb.Helper()
	var img image.Image
	for range 50 {
		img = capture(tb, g.display, id)
		if v, c := variance(img); v > 200 && c > 20 {
			return img
		}
		time.Sleep(100 * time.Millisecond)
	}
	v, c := variance(img)
	tb.Fatalf("the window stays blank: luminance variance %.1f, %d colours\n%s", v, c, g.log)
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (g *gui) stop(tb testing.TB) {
	tb.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.done:
		if err != nil {
			tb.Errorf("polaris exited with %v after SIGTERM:\n%s", err, g.log)
		}
	case <-time.After(20 * time.Second):
		tb.Fatalf("polaris did not exit after SIGTERM:\n%s", g.log)
	}
}

var listenLine = regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)

func (g *gui) addr(tb testing.TB) string {
	tb.Helper()
	for range 200 {
		if m := listenLine.FindStringSubmatch(g.log.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("the engine never said where it listens:\n%s", g.log)
	return ""
}

func TestGUIWindowAppearsAndRenders(t *testing.T) {
	bin := buildGUI(t)
	display := xvfb(t)
	dir := t.TempDir()
	g := startGUI(t, bin, display, dir)
	id := g.window(t, 30*time.Second)
	img := g.rendered(t, id)
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 {
		t.Errorf("window is %dx%d, want at least 600x400", b.Dx(), b.Dy())
	}
	addr := g.addr(t)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
		t.Errorf("the engine does not listen on %s while the window is open: %v", addr, err)
	} else {
		c.Close()
	}
	if !strings.Contains(g.log.String(), "no system tray") {
		t.Errorf("under Xvfb there is no StatusNotifier host, and the log should say so:\n%s", g.log)
	}

	// A second start on the same data dir shows the first window and exits.
	second := exec.Command(bin, "--data-dir", dir, "--listen", "127.0.0.1:0")
	second.Env = guiEnv(t, display)
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "brought forward") {
		t.Errorf("second start: %v %q, want exit 0 and \"brought forward\"", err, out)
	}
	if strings.Count(g.log.String(), "listening on") != 1 {
		t.Errorf("the engine started twice:\n%s", g.log)
	}

	g.stop(t)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after quitting", addr)
	}
	if _, err := os.Stat(filepath.Join(dir, "polaris.sock")); !os.IsNotExist(err) {
		t.Errorf("the instance socket is left behind after quitting: %v", err)
	}
}

// TestGUIBackgroundParksAndReturns: closed to the background, the windowed
// Polaris holds Fyne's event loop still, so the process wakes a few dozen
// times a second (the engine's own work and the park's slices) instead of
// the several hundred of Fyne's 60 Hz display polling (478/s measured
// without the park, 39/s with it); a second start brings the window back.
func TestGUIBackgroundParksAndReturns(t *testing.T) {
	bin := buildGUI(t)
	display := xvfb(t)
	dir := t.TempDir()
	g := startGUIEnv(t, bin, display, dir, []string{"POLARIS_UI_BACKGROUND=1"})
	g.addr(t)
	time.Sleep(3 * time.Second) // settle: the engine's start, the lists
	if id := mappedWindow(display, "Polaris"); id != "" {
		t.Fatalf("started in the background, yet window %s is shown", id)
	}
	pid := g.cmd.Process.Pid
	w0, t0 := wakeups(t, pid), time.Now()
	time.Sleep(5 * time.Second)
	rate := float64(wakeups(t, pid)-w0) / time.Since(t0).Seconds()
	t.Logf("in the background: %.0f wake-ups a second", rate)
	if rate > 150 {
		t.Errorf("in the background the process wakes %.0f times a second; want at most 150 (Fyne's loop parked)", rate)
	}

	// A second start brings the window forward at once.
	second := exec.Command(bin, "--data-dir", dir, "--listen", "127.0.0.1:0")
	second.Env = guiEnv(t, display)
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "brought forward") {
		t.Fatalf("second start: %v %q, want exit 0 and \"brought forward\"", err, out)
	}
	g.rendered(t, g.window(t, 10*time.Second))
	g.stop(t)
}

// TestGUIShownWindowParksAndAnswers: the shown window, once quiet, holds
// Fyne's loop still (Fyne's 60 Hz ticker would wake the process hundreds
// of times a second), and input through the X server still reaches it: the
// park's slices are made an hour long, so only the wait on the display
// connection can end one. Keyboard input (Tab moves the focus) and a click
// (on the sidebar: another screen) each change the window, and the window
// parks again once quiet.
func TestGUIShownWindowParksAndAnswers(t *testing.T) {
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is missing (Debian package xdotool; make deps-test installs it)")
	}
	bin := buildGUI(t)
	display := xvfb(t)
	dir := t.TempDir()
	if out, err := exec.Command(bin, "--data-dir", dir, "config", "set", "dnt", "1").CombinedOutput(); err != nil {
		t.Fatalf("config set: %v %s", err, out)
	}
	g := startGUIEnv(t, bin, display, dir, []string{"POLARIS_UI_PARK_SLICE=1h", "POLARIS_UI_SCREEN=overview"})
	id := g.window(t, 20*time.Second)
	g.rendered(t, id)
	pid := g.cmd.Process.Pid
	quietRate := func(what string) {
		t.Helper()
		time.Sleep(3 * time.Second) // quiet for longer than parkQuiet
		w0, t0 := wakeups(t, pid), time.Now()
		time.Sleep(5 * time.Second)
		rate := float64(wakeups(t, pid)-w0) / time.Since(t0).Seconds()
		t.Logf("%s: %.0f wake-ups a second", what, rate)
		if rate > 150 {
			t.Errorf("%s: the shown, idle window wakes the process %.0f times a second; want at most 150 (Fyne's loop parked)", what, rate)
		}
	}
	quietRate("shown, idle")

	xdo := func(args ...string) {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = []string{"DISPLAY=" + display, "PATH=" + os.Getenv("PATH")}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v %s", args, err, out)
		}
	}
	changes := func(what string, act func()) {
		t.Helper()
		before := capture(t, display, id)
		start := time.Now()
		act()
		for time.Since(start) < 10*time.Second {
			if !sameImage(before, capture(t, display, id)) {
				t.Logf("%s: the window changed within %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: the window did not change in 10 s (the park's slices are an hour: input did not end one)\n%s", what, g.log)
	}
	xdo("windowfocus", "--sync", id)
	quietRate("focused, idle")
	changes("Tab", func() { xdo("key", "Tab") })
	quietRate("after Tab")
	// The sidebar's fourth item (HTTPS), 40 px from the left edge.
	changes("a click in the sidebar", func() {
		xdo("mousemove", "--window", id, "40", "200", "click", "1")
	})
	quietRate("after the click")
	g.stop(t)
}

// sameImage reports whether a and b have the same size and pixels.
func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// wakeups returns how many times the threads of pid have been switched to
// (voluntary and not), from /proc.
func wakeups(tb testing.TB, pid int) int64 {
	tb.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		tb.Fatalf("no threads of %d: %v", pid, err)
	}
	var n int64
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a thread that ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}

func TestGUIRefusesToShadowHeadless(t *testing.T) {
	bin := buildGUI(t)
	display := xvfb(t)
	dir := t.TempDir()
	run := exec.Command(bin, "run", "--data-dir", dir, "--listen", "127.0.0.1:0")
	stdout, _ := run.StdoutPipe()
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { run.Process.Kill(); run.Wait() }()
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("polaris run did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	cmd := exec.Command(bin, "--data-dir", dir, "--listen", "127.0.0.1:0")
	cmd.Env = guiEnv(t, display)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "without a window") {
		t.Errorf("window start beside a headless instance: %v %q, want exit 1 and \"without a window\"", err, out)
	}
	if mappedWindow(display, "Polaris") != "" {
		t.Error("a window opened although another Polaris owns the data dir")
	}
}

// Without a display to open the window on (a console, ssh without X
// forwarding), the window's binary says so and exits 1 before the engine
// starts: no panic from deep inside the toolkit, nothing changed.
func TestGUIWithoutADisplay(t *testing.T) {
	bin := buildGUI(t)
	for _, c := range []struct{ display, want string }{
		{"", "neither DISPLAY nor WAYLAND_DISPLAY is set"},
		{":9999", `cannot connect to the display ":9999"`},
	} {
		dir := t.TempDir()
		cmd := exec.Command(bin, "--data-dir", dir, "--listen", "127.0.0.1:0")
		cmd.Env = guiEnv(t, c.display)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), c.want) ||
			!strings.Contains(string(out), "polaris --headless") {
			t.Errorf("DISPLAY=%q: %v (exit %d) %q, want exit 1 and %q", c.display, err, code, out, c.want)
		}
		if strings.Contains(string(out), "panic") || strings.Contains(string(out), "listening on") {
			t.Errorf("DISPLAY=%q: the engine started or Polaris panicked:\n%s", c.display, out)
		}
	}
}

// BenchmarkGUIStart measures exec → window mapped, and exec → first
// non-blank frame, on a data dir whose database already exists.
func BenchmarkGUIStart(b *testing.B) {
	bin := buildGUI(b)
	display := xvfb(b)
	dir := listsDataDir(b, bin)
	var mapped, drawn time.Duration
	for i := 0; i < b.N; i++ {
		g := startGUI(b, bin, display, dir)
		id := g.window(b, 30*time.Second)
		mapped += time.Since(g.started)
		g.rendered(b, id)
		drawn += time.Since(g.started)
		g.stop(b)
	}
	b.ReportMetric(float64(mapped.Milliseconds())/float64(b.N), "ms-to-window")
	b.ReportMetric(float64(drawn.Milliseconds())/float64(b.N), "ms-to-drawn")
}

// listsDataDir prepares a data dir as a user's looks after the first day:
// settings chosen and EasyList + EasyPrivacy (the shared copies, ~90,000
// rules) in the list cache, loaded at every start.
func listsDataDir(b *testing.B, bin string) string {
	dir := b.TempDir()
	for _, args := range [][]string{
		{"config", "set", "dnt", "1"},
		{"lists", "add", testenv.Shared(b, "blocklists/easylist.txt")},
		{"lists", "add", testenv.Shared(b, "blocklists/easyprivacy.txt")},
	} {
		cmd := exec.Command(bin, append([]string{"--data-dir", dir}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("polaris %v: %v: %s", args, err, out)
		}
	}
	return dir
}

// BenchmarkGUIIdle measures the GUI process's CPU while idle (10 s after
// a 3 s settle) and its resident memory.
func BenchmarkGUIIdle(b *testing.B) {
	bin := buildGUI(b)
	display := xvfb(b)
	for i := 0; i < b.N; i++ {
		g := startGUI(b, bin, display, listsDataDir(b, bin))
		g.rendered(b, g.window(b, 30*time.Second))
		time.Sleep(3 * time.Second)
		pid := g.cmd.Process.Pid
		t0, c0 := time.Now(), cpuTicks(b, pid)
		time.Sleep(10 * time.Second)
		c1, el := cpuTicks(b, pid), time.Since(t0)
		const hz = 100 // USER_HZ on Linux
		b.ReportMetric(100*float64(c1-c0)/hz/el.Seconds(), "%cpu-idle")
		b.ReportMetric(float64(rssKB(b, pid))/1024, "MB-rss")
		g.stop(b)
	}
}

// cpuTicks returns utime+stime of pid (clock ticks), from /proc.
func cpuTicks(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// rssKB returns the resident set size of pid in kB.
func rssKB(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return -1
}
