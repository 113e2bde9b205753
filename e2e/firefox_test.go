// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Firefox ESR over Marionette, with a small client of our own (Debian has no
// geckodriver). Marionette speaks length-prefixed JSON over TCP: a message
// is "<byte length>:<json>"; a command is [0, id, name, params] and its
// answer [1, id, error, result]. The WebDriver commands are those of the W3C
// WebDriver spec under the "WebDriver:" prefix; "Marionette:SetContext"
// switches scripts to the browser's chrome, where Services.prefs sets the
// proxy of the next tab. One Firefox per package: its tests take turns
// (openPage), each in a new tab.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const firefoxPath = "/usr/bin/firefox-esr"

// firefoxPrefs are the profile's preferences: no background connection of
// any kind (they could go nowhere anyway: the namespace has only loopback),
// no first-run pages, the proxy set per tab through Marionette.
var firefoxPrefs = map[string]any{
	"marionette.port":                                            0, // any free port, written to MarionetteActivePort
	"app.update.auto":                                            false,
	"app.update.enabled":                                         false,
	"app.normandy.enabled":                                       false,
	"browser.shell.checkDefaultBrowser":                          false,
	"browser.startup.page":                                       0,
	"browser.startup.homepage_override.mstone":                   "ignore",
	"browser.aboutwelcome.enabled":                               false,
	"browser.newtabpage.enabled":                                 false,
	"browser.newtabpage.activity-stream.feeds.system.topstories": false,
	"browser.safebrowsing.malware.enabled":                       false,
	"browser.safebrowsing.phishing.enabled":                      false,
	"browser.safebrowsing.downloads.enabled":                     false,
	"browser.safebrowsing.blockedURIs.enabled":                   false,
	"browser.safebrowsing.update.enabled":                        false,
	"browser.search.update":                                      false,
	"browser.region.update.enabled":                              false,
	"browser.region.network.url":                                 "",
	"browser.topsites.contile.enabled":                           false,
	"browser.tabs.warnOnClose":                                   false,
	"browser.ping-centre.telemetry":                              false,
	"datareporting.policy.dataSubmissionEnabled":                 false,
	"datareporting.healthreport.uploadEnabled":                   false,
	"toolkit.telemetry.enabled":                                  false,
	"toolkit.telemetry.server":                                   "",
	"extensions.update.enabled":                                  false,
	"extensions.getAddons.cache.enabled":                         false,
	"extensions.systemAddon.update.enabled":                      false,
	"media.gmp-manager.updateEnabled":                            false,
	"network.captive-portal-service.enabled":                     false,
	"network.connectivity-service.enabled":                       false,
	"network.dns.disablePrefetch":                                true,
	"network.prefetch-next":                                      false,
	"network.http.speculative-parallel-limit":                    0,
	"network.trr.mode":                                           5, // no DNS over HTTPS of Firefox's own
	"security.OCSP.enabled":                                      0,
	"security.remote_settings.crlite_filters.enabled":            false,
	"services.settings.server":                                   "http://127.0.0.1:9/",
	"network.proxy.type":                                         0,
	"network.proxy.allow_hijacking_localhost":                    true,
	"network.proxy.no_proxies_on":                                "",
	"signon.rememberSignons":                                     false,
}

type firefox struct {
	home string
	cmd  *exec.Cmd
	done chan struct{}
	m    *marionette
	log  *os.File
}

func startFirefox(ca *browserCA) (*firefox, error) {
	return startFirefoxWith(func(profile string) error { return writeFirefoxProfile(profile, ca) })
}

// startFirefoxWith starts a Firefox whose profile (a new directory) is
// written by writeProfile.
func startFirefoxWith(writeProfile func(profile string) error) (*firefox, error) {
	if _, err := os.Stat(firefoxPath); err != nil {
		return nil, fmt.Errorf("%s is missing (Debian package firefox-esr)", firefoxPath)
	}
	home, err := os.MkdirTemp("", "polaris-e2e-firefox")
	if err != nil {
		return nil, err
	}
	profile := filepath.Join(home, "profile")
	if err := writeProfile(profile); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	return launchFirefox(home, profile)
}

// launchFirefox starts Firefox with HOME=home on the profile folder
// profile (which has its preferences); close removes home.
func launchFirefox(home, profile string) (*firefox, error) {
	logFile, _ := os.Create(filepath.Join(home, "firefox.log"))
	cmd := exec.Command(firefoxPath, "--headless", "--marionette", "-remote-allow-system-access", "--no-remote", "--profile", profile, "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+home, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1",
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	f := &firefox{home: home, cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() { cmd.Wait(); close(f.done) }()
	var err error
	if f.m, err = f.connect(profile); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		f.close()
		return nil, fmt.Errorf("%w\n%s", err, lastLines(string(out), 20))
	}
	return f, nil
}

func writeFirefoxProfile(profile string, ca *browserCA) error {
	if err := writeFirefoxPrefs(profile); err != nil {
		return err
	}
	// The profile's own certificate database (cert9.db), as Polaris's
	// installer or a person with certutil would fill it.
	return ca.trustInNSS(profile)
}

// writeFirefoxPrefs writes the profile's user.js (firefoxPrefs).
func writeFirefoxPrefs(profile string) error {
	if err := os.MkdirAll(profile, 0o700); err != nil {
		return err
	}
	var b strings.Builder
	for k, v := range firefoxPrefs {
		val, _ := json.Marshal(v)
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, val)
	}
	return os.WriteFile(filepath.Join(profile, "user.js"), []byte(b.String()), 0o600)
}

// connect waits for Marionette's port and starts a WebDriver session.
func (f *firefox) connect(profile string) (*marionette, error) {
	portFile := filepath.Join(profile, "MarionetteActivePort")
	deadline := time.Now().Add(90 * time.Second)
	for {
		b, err := os.ReadFile(portFile)
		if port, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && port > 0 {
			m, err := dialMarionette("127.0.0.1:" + strconv.Itoa(port))
			if err != nil {
				return nil, err
			}
			caps := map[string]any{
				"acceptInsecureCerts": false,
				"pageLoadStrategy":    "normal",
				"timeouts":            map[string]any{"pageLoad": actionTimeout.Milliseconds(), "script": actionTimeout.Milliseconds(), "implicit": 0},
			}
			if err := m.call("WebDriver:NewSession", map[string]any{"capabilities": map[string]any{"alwaysMatch": caps}}, nil); err != nil {
				m.close()
				return nil, fmt.Errorf("new Marionette session: %w", err)
			}
			return m, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("firefox exited before Marionette listened")
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no %s after 90 s", portFile)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *firefox) Name() string { return "firefox" }

func (f *firefox) close() {
	if f.m != nil {
		f.m.call("Marionette:Quit", map[string]any{}, nil)
		f.m.close()
	}
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		<-f.done
	}
	syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL) // content processes left behind
	if f.log != nil {
		f.log.Close()
	}
	os.RemoveAll(f.home)
}

// open sets the proxy for new connections and opens a new tab.
func (f *firefox) open(t testing.TB, proxyAddr string) (tab, error) {
	host, port := "", 0
	if proxyAddr != "" {
		h, p, err := net.SplitHostPort(proxyAddr)
		if err != nil {
			return nil, err
		}
		host, port = h, atoiOr(p, 0)
	}
	const setProxy = `
		const [host, port] = arguments;
		const prefs = Services.prefs;
		if (!host) { prefs.setIntPref("network.proxy.type", 0); return true; }
		prefs.setStringPref("network.proxy.http", host);
		prefs.setIntPref("network.proxy.http_port", port);
		prefs.setStringPref("network.proxy.ssl", host);
		prefs.setIntPref("network.proxy.ssl_port", port);
		prefs.setBoolPref("network.proxy.share_proxy_settings", true);
		prefs.setIntPref("network.proxy.type", 1);
		return true;`
	if err := f.m.inChrome(func() error {
		return f.m.call("WebDriver:ExecuteScript", map[string]any{"script": setProxy, "args": []any{host, port}}, nil)
	}); err != nil {
		return nil, fmt.Errorf("setting the proxy: %w", err)
	}
	var win struct {
		Handle string `json:"handle"`
	}
	if err := f.m.call("WebDriver:NewWindow", map[string]any{"type": "tab"}, &win); err != nil {
		return nil, err
	}
	if err := f.m.call("WebDriver:SwitchToWindow", map[string]any{"handle": win.Handle}, nil); err != nil {
		return nil, err
	}
	return &firefoxTab{m: f.m, handle: win.Handle}, nil
}

type firefoxTab struct {
	m      *marionette
	handle string
}

func (f *firefoxTab) navigate(url string) error {
	err := f.m.call("WebDriver:Navigate", map[string]any{"url": url}, nil)
	var we *webdriverError
	if errors.As(err, &we) && strings.Contains(we.Message, "Reached error page") {
		return fmt.Errorf("the browser shows an error page: %s", we.Message)
	}
	return err
}

func (f *firefoxTab) eval(expr string, out any) error {
	var res struct {
		Value json.RawMessage `json:"value"`
	}
	if err := f.m.call("WebDriver:ExecuteScript", map[string]any{"script": "return (" + expr + ");", "args": []any{}}, &res); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Value, out)
}

const elementKey = "element-6066-11e4-a52e-4f735466cecf"

func (f *firefoxTab) click(selector string) error {
	var found struct {
		Value map[string]string `json:"value"`
	}
	if err := f.m.call("WebDriver:FindElement", map[string]any{"using": "css selector", "value": selector}, &found); err != nil {
		return err
	}
	el := map[string]string{elementKey: found.Value[elementKey]}
	// Into view first (a pointer cannot move outside the viewport).
	if err := f.m.call("WebDriver:ExecuteScript", map[string]any{"script": "arguments[0].scrollIntoView({block: 'center'})", "args": []any{el}}, nil); err != nil {
		return err
	}
	actions := []any{map[string]any{
		"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"},
		"actions": []any{
			map[string]any{"type": "pointerMove", "duration": 0, "origin": el, "x": 0, "y": 0},
			map[string]any{"type": "pointerDown", "button": 0},
			map[string]any{"type": "pointerUp", "button": 0},
		},
	}}
	if err := f.m.call("WebDriver:PerformActions", map[string]any{"actions": actions}, nil); err != nil {
		return err
	}
	return f.m.call("WebDriver:ReleaseActions", map[string]any{}, nil)
}

// clickInFrame switches Marionette into the frame (WebDriver's Switch To
// Frame), clicks the element there with the pointer, and switches back.
func (f *firefoxTab) clickInFrame(frameSelector, selector string) error {
	var found struct {
		Value map[string]string `json:"value"`
	}
	if err := f.m.call("WebDriver:FindElement", map[string]any{"using": "css selector", "value": frameSelector}, &found); err != nil {
		return err
	}
	if err := f.m.call("WebDriver:SwitchToFrame", map[string]any{"element": found.Value[elementKey]}, nil); err != nil {
		return err
	}
	err := f.click(selector)
	if perr := f.m.call("WebDriver:SwitchToParentFrame", map[string]any{}, nil); err == nil {
		err = perr
	}
	return err
}

func (f *firefoxTab) screenshot() ([]byte, error) {
	var res struct {
		Value string `json:"value"`
	}
	if err := f.m.call("WebDriver:TakeScreenshot", map[string]any{"full": false}, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Value)
}

func (f *firefoxTab) url() (string, error) {
	var res struct {
		Value string `json:"value"`
	}
	err := f.m.call("WebDriver:GetCurrentURL", map[string]any{}, &res)
	return res.Value, err
}

func (f *firefoxTab) close() {
	f.m.call("WebDriver:CloseWindow", map[string]any{}, nil)
	var handles []string
	if f.m.call("WebDriver:GetWindowHandles", map[string]any{}, &handles) == nil && len(handles) > 0 {
		f.m.call("WebDriver:SwitchToWindow", map[string]any{"handle": handles[0]}, nil)
	}
}

// marionette is a client of Firefox's Marionette server.
type marionette struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	id   int
}

// webdriverError is an error answer of Marionette.
type webdriverError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *webdriverError) Error() string { return e.Code + ": " + e.Message }

func dialMarionette(addr string) (*marionette, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	m := &marionette{conn: conn, r: bufio.NewReader(conn)}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	hello, err := m.read()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("reading Marionette's greeting: %w", err)
	}
	var h struct {
		Protocol int `json:"marionetteProtocol"`
	}
	if json.Unmarshal(hello, &h) != nil || h.Protocol < 3 {
		conn.Close()
		return nil, fmt.Errorf("unexpected Marionette greeting %s", hello)
	}
	return m, nil
}

func (m *marionette) read() ([]byte, error) {
	n, err := m.r.ReadString(':')
	if err != nil {
		return nil, err
	}
	size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
	if err != nil || size < 0 || size > 256<<20 {
		return nil, fmt.Errorf("bad Marionette message length %q", n)
	}
	b := make([]byte, size)
	_, err = io.ReadFull(m.r, b)
	return b, err
}

// call sends a command and decodes its result into out (may be nil).
func (m *marionette) call(name string, params any, out any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.id++
	id := m.id
	msg, err := json.Marshal([]any{0, id, name, params})
	if err != nil {
		return err
	}
	m.conn.SetDeadline(time.Now().Add(actionTimeout + 10*time.Second))
	if _, err := fmt.Fprintf(m.conn, "%d:%s", len(msg), msg); err != nil {
		return err
	}
	for {
		b, err := m.read()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		var resp []json.RawMessage
		if json.Unmarshal(b, &resp) != nil || len(resp) != 4 {
			continue
		}
		var typ, rid int
		json.Unmarshal(resp[0], &typ)
		json.Unmarshal(resp[1], &rid)
		if typ != 1 || rid != id {
			continue // an answer to a command given up on earlier
		}
		if string(resp[2]) != "null" {
			we := &webdriverError{}
			json.Unmarshal(resp[2], we)
			return we
		}
		if out != nil {
			return json.Unmarshal(resp[3], out)
		}
		return nil
	}
}

// inChrome runs fn with scripts in the browser's chrome context.
func (m *marionette) inChrome(fn func() error) error {
	if err := m.call("Marionette:SetContext", map[string]any{"value": "chrome"}, nil); err != nil {
		return err
	}
	err := fn()
	if err2 := m.call("Marionette:SetContext", map[string]any{"value": "content"}, nil); err == nil {
		err = err2
	}
	return err
}

func (m *marionette) close() { m.conn.Close() }

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
