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
func (a *App) sysproxyManager(addr string) (*sysproxy.Manager, error) {
	a.mu.Lock()
	st, s := a.st, a.cur
	a.mu.Unlock()
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
func (a *App) recoverSystem(ctx context.Context) {
	m, err := a.sysproxyManager("")
	if err != nil {
		return
	}
	recovered, err := m.Recover(ctx)
	switch {
	case err != nil:
		a.noticef(status.Error, "Polaris stopped last time without restoring your system proxy settings, and restoring them failed: %v", err)
	case recovered:
		a.noticef(status.Warning, "Polaris stopped last time without restoring your system proxy settings; they are restored now.")
	}
}

// syncSystem makes the system proxy match the setting for the proxy
// listening on addr ("" when Polaris is stopping: restore).
func (a *App) syncSystem(ctx context.Context, addr string) {
	want := ""
	if addr != "" && a.Settings().System.SystemProxy && !a.deleting.Load() {
		want = clientAddr(addr)
	}
	a.sys.mu.Lock()
	defer a.sys.mu.Unlock()
	if want == a.sys.on && !(want == "" && a.sys.partial) {
		if !a.sys.known && addr != "" {
			// Nothing to change, but the window wants to know whether the
			// system points here (the user may have set it by hand). Read
			// it in the background: it runs gsettings and the like.
			a.sys.known = true
			if m, err := a.sysproxyManager(addr); err == nil {
				go func() {
					a.sys.mu.Lock()
					defer a.sys.mu.Unlock()
					a.refreshSystemStatus(context.WithoutCancel(ctx), m)
				}()
			}
		}
		return
	}
	m, err := a.sysproxyManager(want)
	if err != nil {
		a.noticef(status.Error, "System proxy: %v", err)
		return
	}
	if want == "" {
		if err := m.Disable(ctx); err != nil {
			a.noticef(status.Error, "Polaris could not restore your system proxy settings: %v", err)
		} else {
			a.sys.partial = false
		}
		a.sys.on = ""
	} else {
		if err := m.Enable(ctx); err != nil {
			a.noticef(status.Error, "Polaris could not set itself as the system proxy: %v", err)
			a.sys.partial = true
			a.refreshSystemStatus(ctx, m)
			return
		}
		a.sys.on, a.sys.partial = want, false
	}
	a.refreshSystemStatus(ctx, m)
}

// refreshSystemStatus reads the system's proxy state (this runs
// gsettings and the like: call it on changes, not on a timer).
func (a *App) refreshSystemStatus(ctx context.Context, m *sysproxy.Manager) {
	a.sys.known = true
	st, err := m.Status(ctx)
	if err != nil && !errors.Is(err, sysproxy.ErrUnsupported) {
		st.Warnings = append(st.Warnings, err.Error())
	}
	st.Autostart = a.Settings().System.Autostart
	a.sys.statusMu.Lock()
	a.sys.status = st
	a.sys.statusMu.Unlock()
	a.hub.poke()
}

// SystemProxyStatus reads whether the system points at Polaris.
func (a *App) SystemProxyStatus(ctx context.Context) (status.System, error) {
	m, err := a.sysproxyManager(a.listenFor(a.Settings()))
	if err != nil {
		return status.System{}, err
	}
	return m.Status(ctx)
}

// RestoreSystemProxy restores the system proxy settings Polaris saved, if
// any (for `polaris sysproxy off` while Polaris is not running).
func (a *App) RestoreSystemProxy(ctx context.Context) (bool, error) {
	m, err := a.sysproxyManager("")
	if err != nil {
		return false, err
	}
	return m.Recover(ctx)
}

// applyAutostart makes "start at login" match the setting.
func (a *App) applyAutostart(s settings.Settings) error {
	m, err := a.sysproxyManager("")
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
	if def, err := DefaultDataDir(); err != nil || def != a.opts.DataDir {
		args = []string{"--data-dir", a.opts.DataDir}
	}
	return m.SetAutostart(s.System.Autostart, exe, args)
}

// localHandler serves what Polaris itself offers to browsers, besides the
// proxy's status page: the PAC file.
func (a *App) localHandler(addrFn func() string, notFound http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /proxy.pac", func(w http.ResponseWriter, r *http.Request) {
		if !proxy.PACFetch(r) {
			notFound(w, r)
			return
		}
		// In Tor mode the file never falls back to direct, whatever the
		// fail-open setting says: turning Tor off is the only way back to
		// direct connections, also when Polaris stops.
		s := a.Settings()
		pac := sysproxy.PAC(clientAddr(addrFn()), s.System.PACFailOpen && !s.Tor.Enabled)
		w.Header().Set("Content-Type", sysproxy.PACContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(pac))
	})
	mux.HandleFunc("/", notFound)
	return mux
}
