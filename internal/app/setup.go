// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"polaris/internal/ca"

	"polaris/internal/browsers"
	"polaris/internal/status"
	"polaris/internal/store"
)

// FindBrowsers lists the browsers and profiles of this user on this
// machine (internal/browsers), for the set-up. It reads only.
func (a *App) FindBrowsers(context.Context) []status.FoundBrowser {
	var out []status.FoundBrowser
	for _, b := range browsers.List(browsers.Env{}) {
		fb := status.FoundBrowser{Name: b.Name, Family: b.Family, Installed: b.Installed, Running: b.Running}
		for _, p := range b.Profiles {
			fb.Profiles = append(fb.Profiles, p.Name)
		}
		out = append(out, fb)
	}
	return out
}

// InstallCAInBrowsers adds the CA to each browser's own store, not the
// system's (the set-up in the window).
func (a *App) InstallCAInBrowsers(ctx context.Context) (string, error) {
	return a.InstallCATo(ctx, false)
}

// BrowserTrust reads each browser's store back (the set-up's check).
func (a *App) BrowserTrust(ctx context.Context) (string, error) {
	return a.CATrust(ctx, false)
}

// SystemPrompt reports whether the operating system's certificate store
// can be changed with an administrator's password prompt (pkexec on
// Linux), for a user who is not root.
func (a *App) SystemPrompt() bool { return systemPrompt() }

func systemPrompt() bool {
	if runtime.GOOS != "linux" || os.Geteuid() == 0 {
		return false
	}
	_, err := exec.LookPath("pkexec")
	return err == nil
}

// InstallCAWithPassword is InstallCATo with the system store, asking for
// an administrator's password through pkexec (never a command to paste);
// without pkexec it is InstallCATo(ctx, true).
func (a *App) InstallCAWithPassword(ctx context.Context) (string, error) {
	if _, err := a.loadCA(true); err != nil {
		return "", err
	}
	rep, err := ca.Install(ctx, a.promptOptions())
	a.refreshCAStatus()
	if p := a.currentProxy(); p != nil {
		a.trustChanged(p)
	}
	return rep.String(), err
}

// SetupSeen reports whether the guided set-up was already finished or
// closed in the window on this data directory (the store's meta table).
func (a *App) SetupSeen(ctx context.Context) (bool, error) {
	_, ok, err := a.st.Meta(ctx, store.MetaSetupSeen)
	return ok, err
}

// MarkSetupSeen records that the set-up was finished or closed, so that
// the window does not open it by itself again.
func (a *App) MarkSetupSeen(ctx context.Context) error {
	return a.st.SetMeta(ctx, store.MetaSetupSeen, strconv.FormatInt(time.Now().Unix(), 10))
}
