// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The system proxy through the real binary, on a throw-away GNOME settings
// database: a private D-Bus session with dconf under a temporary HOME, so
// gsettings never touches the real user's settings.

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"polaris/internal/testenv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type desktop struct {
	t   *testing.T
	env []string
}

func newDesktop(t *testing.T) *desktop {
	t.Helper()
	env := append(testenv.PrivateGNOME(t),
		"PATH="+os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"POLARIS_NO_AUTO_UPDATE=1", // tests never download lists from the Internet
	)
	return &desktop{t: t, env: env}
}

func (d *desktop) gsettings(args ...string) string {
	d.t.Helper()
	cmd := exec.Command("gsettings", args...)
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("gsettings %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// proxyState is everything of org.gnome.system.proxy that Polaris may touch.
func (d *desktop) proxyState() string {
	var b strings.Builder
	for _, schema := range []string{"org.gnome.system.proxy", "org.gnome.system.proxy.http", "org.gnome.system.proxy.https"} {
		b.WriteString(d.gsettings("list-recursively", schema))
		b.WriteString("\n")
	}
	return b.String()
}

func (d *desktop) polaris(dataDir string, args ...string) (string, int) {
	d.t.Helper()
	cmd := exec.Command(binary, append([]string{"--data-dir", dataDir}, args...)...)
	cmd.Env = d.env
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

// start runs `polaris run` in the desktop's environment.
func (d *desktop) start(dataDir string) (*exec.Cmd, string) {
	d.t.Helper()
	cmd := exec.Command(binary, "run", "--data-dir", dataDir, "--listen", "127.0.0.1:0")
	cmd.Env = d.env
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		d.t.Fatalf("polaris run: %v; stderr %s", err, errBuf.String())
	}
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "Polaris is listening on "))
}

func (d *desktop) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *desktop) pointsAt(addr string) bool {
	host, port, _ := strings.Cut(addr, ":")
	return d.gsettings("get", "org.gnome.system.proxy", "mode") == "'manual'" &&
		d.gsettings("get", "org.gnome.system.proxy.http", "host") == "'"+host+"'" &&
		d.gsettings("get", "org.gnome.system.proxy.http", "port") == port &&
		d.gsettings("get", "org.gnome.system.proxy.https", "host") == "'"+host+"'"
}

func TestSystemProxyRestoredAfterKill(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup [][]string
	}{
		{"auto with a PAC URL", [][]string{
			{"set", "org.gnome.system.proxy", "mode", "auto"},
			{"set", "org.gnome.system.proxy", "autoconfig-url", "http://wpad.example/wpad.dat"},
		}},
		{"manual with ignore-hosts", [][]string{
			{"set", "org.gnome.system.proxy", "mode", "manual"},
			{"set", "org.gnome.system.proxy.http", "host", "10.1.2.3"},
			{"set", "org.gnome.system.proxy.http", "port", "3128"},
			{"set", "org.gnome.system.proxy.https", "host", "10.1.2.3"},
			{"set", "org.gnome.system.proxy.https", "port", "3129"},
			{"set", "org.gnome.system.proxy", "ignore-hosts", "['localhost', '127.0.0.0/8', '::1', 'intranet.example']"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesktop(t)
			for _, args := range tc.setup {
				d.gsettings(args...)
			}
			before := d.proxyState()
			dir := t.TempDir()
			if out, code := d.polaris(dir, "sysproxy", "on"); code != 0 {
				t.Fatalf("sysproxy on: %d %s", code, out)
			}

			// Start, then kill -9: the system still points at the dead proxy.
			cmd, addr := d.start(dir)
			d.waitFor("the system points at Polaris", func() bool { return d.pointsAt(addr) })
			if got := d.gsettings("get", "org.gnome.system.proxy", "ignore-hosts"); !strings.Contains(got, "localhost") {
				t.Errorf("the user's loopback bypass entries were dropped: %s", got)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if !d.pointsAt(addr) {
				t.Fatal("after kill -9 the system no longer points at Polaris: nothing left to recover")
			}

			// The next start restores what was there, then (the setting is
			// still on) points the system at itself again; a clean quit
			// restores exactly the original.
			cmd2, addr2 := d.start(dir)
			d.waitFor("the restarted Polaris points the system at itself", func() bool { return d.pointsAt(addr2) })
			cmd2.Process.Signal(syscall.SIGTERM)
			cmd2.Wait()
			if after := d.proxyState(); after != before {
				t.Errorf("after kill -9, restart and quit the settings differ:\nbefore:\n%s\nafter:\n%s", before, after)
			}

			// kill -9 again, and this time `sysproxy off` without a running
			// Polaris restores.
			cmd3, addr3 := d.start(dir)
			d.waitFor("the system points at Polaris", func() bool { return d.pointsAt(addr3) })
			cmd3.Process.Signal(syscall.SIGKILL)
			cmd3.Wait()
			if out, code := d.polaris(dir, "sysproxy", "off"); code != 0 || !strings.Contains(out, "restored") {
				t.Fatalf("sysproxy off after a crash: %d %s", code, out)
			}
			if after := d.proxyState(); after != before {
				t.Errorf("sysproxy off after kill -9 did not restore:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestSystemProxyUserChangeLeftAlone(t *testing.T) {
	d := newDesktop(t)
	d.gsettings("set", "org.gnome.system.proxy", "mode", "none")
	dir := t.TempDir()
	d.polaris(dir, "sysproxy", "on")
	cmd, addr := d.start(dir)
	d.waitFor("the system points at Polaris", func() bool { return d.pointsAt(addr) })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// Meanwhile the user points the system at their own proxy.
	d.gsettings("set", "org.gnome.system.proxy.http", "host", "192.0.2.7")
	d.gsettings("set", "org.gnome.system.proxy.http", "port", "8080")
	userState := d.proxyState()
	d.polaris(dir, "sysproxy", "off")
	if got := d.proxyState(); got != userState {
		t.Errorf("Polaris overwrote the user's own change:\nuser's:\n%s\nnow:\n%s", userState, got)
	}
}

func TestPACServed(t *testing.T) {
	dir := t.TempDir()
	r := startPolaris(t, dir)
	for _, u := range []string{"http://" + r.addr + "/proxy.pac", "http://polaris.invalid/proxy.pac"} {
		c := r.client()
		if strings.HasPrefix(u, "http://"+r.addr) {
			c.Transport = nil // a browser fetches the PAC file directly
		}
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ns-proxy-autoconfig" {
			t.Errorf("%s: %d %q", u, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		pac := b.String()
		if !strings.Contains(pac, `return "PROXY `+r.addr+`";`) {
			t.Errorf("%s: PAC does not send traffic to Polaris:\n%s", u, pac)
		}
		// Fail closed: the only DIRECT is the loopback exception.
		if n := strings.Count(pac, `"DIRECT"`); n != 1 {
			t.Errorf("%s: PAC has %d DIRECT answers, want only the loopback one:\n%s", u, n, pac)
		}
	}
}

// Start at login: the setting writes and removes the XDG autostart entry,
// which starts this same binary on this data dir.
func TestAutostartEntry(t *testing.T) {
	d := newDesktop(t)
	dir := t.TempDir()
	var home string
	for _, kv := range d.env {
		if v, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			home = v
		}
	}
	entry := filepath.Join(home, "autostart", "polaris.desktop")
	if out, code := d.polaris(dir, "config", "set", "system.autostart", "on"); code != 0 {
		t.Fatalf("config set system.autostart on: %d %s", code, out)
	}
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("no autostart entry: %v", err)
	}
	if !strings.Contains(string(b), binary) || !strings.Contains(string(b), dir) || !strings.Contains(string(b), "[Desktop Entry]") {
		t.Errorf("autostart entry does not start this Polaris on this data dir:\n%s", b)
	}
	if out, code := d.polaris(dir, "config", "set", "system.autostart", "off"); code != 0 {
		t.Fatalf("config set system.autostart off: %d %s", code, out)
	}
	if _, err := os.Stat(entry); err == nil {
		t.Error("the autostart entry is still there after system.autostart off")
	}
}

// The window's "Use Polaris as the system proxy" switch changes the
// setting system.proxy, which the running Polaris applies: here through
// `polaris config set` on a running `polaris run`, the same path. On
// points GNOME at Polaris, off puts back exactly what was there, and a
// quit while on restores too. `polaris sysproxy status` says so in words
// before, during and after.
func TestSystemProxySwitchedWhileRunning(t *testing.T) {
	d := newDesktop(t)
	d.gsettings("set", "org.gnome.system.proxy", "mode", "manual")
	d.gsettings("set", "org.gnome.system.proxy.http", "host", "10.9.8.7")
	d.gsettings("set", "org.gnome.system.proxy.http", "port", "3128")
	d.gsettings("set", "org.gnome.system.proxy", "ignore-hosts", "['localhost', '127.0.0.0/8', 'intranet.example']")
	before := d.proxyState()
	dir := t.TempDir()

	status := func(wantYes bool) string {
		t.Helper()
		out, code := d.polaris(dir, "sysproxy", "status")
		want := "system proxy points at Polaris: no"
		if wantYes {
			want = "system proxy points at Polaris: yes"
		}
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("sysproxy status: exit %d, output:\n%s\nwant %q", code, out, want)
		}
		return out
	}
	if out := status(false); !strings.Contains(out, "Polaris is not running") {
		t.Errorf("sysproxy status before the start does not say Polaris is not running:\n%s", out)
	}

	cmd, addr := d.start(dir)
	status(false)
	if got := d.proxyState(); got != before {
		t.Fatalf("Polaris changed the system proxy with the setting off:\nbefore:\n%s\nnow:\n%s", before, got)
	}
	set := func(v string) {
		t.Helper()
		if out, code := d.polaris(dir, "config", "set", "system.proxy", v); code != 0 {
			t.Fatalf("config set system.proxy %s: exit %d %s", v, code, out)
		}
	}

	set("on")
	d.waitFor("the running Polaris points GNOME at itself", func() bool { return d.pointsAt(addr) })
	if got := d.gsettings("get", "org.gnome.system.proxy", "ignore-hosts"); !strings.Contains(got, "intranet.example") {
		t.Errorf("the user's bypass entries were dropped: %s", got)
	}
	out := status(true)
	if !strings.Contains(out, "settings changed in: ") || !strings.Contains(out, "GNOME") {
		t.Errorf("sysproxy status while on does not name GNOME:\n%s", out)
	}
	if strings.Contains(out, "Polaris is not running") {
		t.Errorf("sysproxy status says Polaris is not running while it runs:\n%s", out)
	}

	set("off")
	d.waitFor("the previous settings are back", func() bool { return d.proxyState() == before })
	status(false)

	// On again, then quit: restored on the way out.
	set("on")
	d.waitFor("the running Polaris points GNOME at itself again", func() bool { return d.pointsAt(addr) })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("polaris run after SIGTERM: %v", err)
	}
	if got := d.proxyState(); got != before {
		t.Errorf("quitting while on did not restore:\nbefore:\n%s\nafter:\n%s", before, got)
	}
	if out := status(false); !strings.Contains(out, "Polaris is not running") {
		t.Errorf("sysproxy status after the quit does not say Polaris is not running:\n%s", out)
	}
}
