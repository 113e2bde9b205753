// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/internal/sysproxy"
	"polaris/proxy"
)

// systemPart is the App's part for the system: the system proxy (set,
// restored, recovered after a crash), start at login and the PAC file.
type systemPart struct {
	*core
	sys systemState
}

// systemState is what Polaris changed on the system while it runs.
type systemState struct {
	mu sync.Mutex // serialises changes
	// on is the address the system proxy points at, "" when not set by us.
	on string
	// partial: an Enable failed part-way; it may have changed the system
	// and journalled it, so the next sync to "off" (at the latest at exit)
	// runs Disable, which puts back what the journal holds.
	partial bool
	// known: the status below has been read from the system at least once.
	known bool

	statusMu sync.Mutex
	status   status.System
}

// clientAddr is the address clients use to reach a proxy listening on
// addr: an unspecified host (0.0.0.0, ::) becomes loopback.
func clientAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// pacURL is where the proxy at addr serves its PAC file.
func pacURL(addr string) string { return "http://" + clientAddr(addr) + "/proxy.pac" }

// sysproxyManager returns a Manager pointing at addr ("" when only
// restoring), journalled in the database.
func (y *systemPart) sysproxyManager(addr string) (*sysproxy.Manager, error) {
	y.mu.Lock()
	st, s := y.st, y.cur
	y.mu.Unlock()
	if st == nil {
		return nil, errors.New("the database is not available, so Polaris cannot save your system proxy settings before changing them; it leaves them alone")
	}
	cfg := sysproxy.Config{FirefoxUserJS: s.System.FirefoxUserJS, Journal: store.SysproxyJournal{S: st}}
	if addr != "" {
		cfg.ProxyAddr, cfg.PACURL = clientAddr(addr), pacURL(addr)
	}
	return sysproxy.New(cfg)
}

// recoverSystem restores system settings left changed by a Polaris that
// did not stop cleanly (crash, kill -9, power loss).
func (y *systemPart) recoverSystem(ctx context.Context) {
	m, err := y.sysproxyManager("")
	if err != nil {
		return
	}
	recovered, err := m.Recover(ctx)
	switch {
	case err != nil:
		y.noticef(status.Error, "Polaris stopped last time without restoring your system proxy settings, and restoring them failed: %v", err)
	case recovered:
		y.noticef(status.Warning, "Polaris stopped last time without restoring your system proxy settings; they are restored now.")
	}
}

// syncSystem makes the system proxy match the setting for the proxy
// listening on addr ("" when Polaris is stopping: restore).
func (y *systemPart) syncSystem(ctx context.Context, addr string) {
	want := ""
	if addr != "" && y.Settings().System.SystemProxy && !y.deleting.Load() {
		want = clientAddr(addr)
	}
	y.sys.mu.Lock()
	defer y.sys.mu.Unlock()
	if want == y.sys.on && !(want == "" && y.sys.partial) {
		if !y.sys.known && addr != "" {
			// Nothing to change, but the window wants to know whether the
			// system points here (the user may have set it by hand). Read
			// it in the background: it runs gsettings and the like.
			y.sys.known = true
			if m, err := y.sysproxyManager(addr); err == nil {
				go func() {
					y.sys.mu.Lock()
					defer y.sys.mu.Unlock()
					y.refreshSystemStatus(context.WithoutCancel(ctx), m)
				}()
			}
		}
		return
	}
	m, err := y.sysproxyManager(want)
	if err != nil {
		y.noticef(status.Error, "System proxy: %v", err)
		return
	}
	if want == "" {
		if err := m.Disable(ctx); err != nil {
			y.noticef(status.Error, "Polaris could not restore your system proxy settings: %v", err)
		} else {
			y.sys.partial = false
		}
		y.sys.on = ""
	} else {
		if err := m.Enable(ctx); err != nil {
			y.noticef(status.Error, "Polaris could not set itself as the system proxy: %v", err)
			y.sys.partial = true
			y.refreshSystemStatus(ctx, m)
			return
		}
		y.sys.on, y.sys.partial = want, false
	}
	y.refreshSystemStatus(ctx, m)
}

// refreshSystemStatus reads the system's proxy state (this runs
// gsettings and the like: call it on changes, not on a timer).
func (y *systemPart) refreshSystemStatus(ctx context.Context, m *sysproxy.Manager) {
	y.sys.known = true
	st, err := m.Status(ctx)
	if err != nil && !errors.Is(err, sysproxy.ErrUnsupported) {
		st.Warnings = append(st.Warnings, err.Error())
	}
	st.Autostart = y.Settings().System.Autostart
	y.sys.statusMu.Lock()
	y.sys.status = st
	y.sys.statusMu.Unlock()
	y.hub.poke()
}

// SystemProxyStatus reads whether the system points at Polaris.
func (y *systemPart) SystemProxyStatus(ctx context.Context) (status.System, error) {
	m, err := y.sysproxyManager(y.listenFor(y.Settings()))
	if err != nil {
		return status.System{}, err
	}
	return m.Status(ctx)
}

// RestoreSystemProxy restores the system proxy settings Polaris saved, if
// any (for `polaris sysproxy off` while Polaris is not running).
func (y *systemPart) RestoreSystemProxy(ctx context.Context) (bool, error) {
	m, err := y.sysproxyManager("")
	if err != nil {
		return false, err
	}
	return m.Recover(ctx)
}

// applyAutostart makes "start at login" match the setting.
func (y *systemPart) applyAutostart(s settings.Settings) error {
	m, err := y.sysproxyManager("")
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding Polaris's own program file: %w", err)
	}
	if abs, err := filepath.EvalSymlinks(exe); err == nil {
		exe = abs
	}
	var args []string
	if def, err := DefaultDataDir(); err != nil || def != y.opts.DataDir {
		args = []string{"--data-dir", y.opts.DataDir}
	}
	return m.SetAutostart(s.System.Autostart, exe, args)
}

// localHandler serves what Polaris itself offers to browsers, besides the
// proxy's status page: the PAC file.
func (y *systemPart) localHandler(addrFn func() string, notFound http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /proxy.pac", func(w http.ResponseWriter, r *http.Request) {
		if !proxy.PACFetch(r) {
			notFound(w, r)
			return
		}
		// In Tor mode the file never falls back to direct, whatever the
		// fail-open setting says: turning Tor off is the only way back to
		// direct connections, also when Polaris stops.
		s := y.Settings()
		pac := sysproxy.PAC(clientAddr(addrFn()), s.System.PACFailOpen && !s.Tor.Enabled)
		w.Header().Set("Content-Type", sysproxy.PACContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(pac))
	})
	mux.HandleFunc("/", notFound)
	return mux
}

// restoreSystemForDelete puts the system proxy settings back now and says
// whether that worked: through the running proxy's state when this App
// runs it, else from the journal.
func (y *systemPart) restoreSystemForDelete(ctx context.Context, running bool) error {
	if !running {
		_, err := y.RestoreSystemProxy(ctx)
		return err
	}
	y.sys.mu.Lock()
	defer y.sys.mu.Unlock()
	m, err := y.sysproxyManager("")
	if err != nil {
		return err
	}
	if err := m.Disable(ctx); err != nil {
		y.refreshSystemStatus(ctx, m)
		return err
	}
	y.sys.on, y.sys.partial = "", false
	y.refreshSystemStatus(ctx, m)
	return nil
}
