// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"testing"

	"polaris/internal/testenv"
)

// TestDependencies keeps the proxy an adapter over goproxy only (STYLE.md):
// siblings meet in internal/app, never here.
func TestDependencies(t *testing.T) {
	sibling := "proxy gets what it needs from internal/app through Config (a DialFunc, a TLS config source); it never imports a sibling adapter"
	testenv.CheckDeps(t, "polaris/proxy", testenv.Forbidden{
		"polaris/tor":                 sibling,
		"polaris/internal/ca":         sibling,
		"polaris/internal/store":      sibling,
		"polaris/internal/sysproxy":   sibling,
		"polaris/internal/resolver":   "the resolver reaches the proxy through Route (Dial, CNAMEs), composed in internal/app",
		"github.com/miekg/dns":        "only internal/resolver speaks DNS",
		"polaris/internal/app":        "imports point down: app uses proxy, not the reverse",
		"polaris/internal/cli":        "imports point down",
		"polaris/ui":                  "the GUI talks to app's Controller, the proxy never to the GUI",
		"github.com/cretz/bine":       "Tor is reached through Config.Dial",
		"github.com/mattn/go-sqlite3": "only internal/store touches SQLite",
		"database/sql":                "only internal/store touches SQL",
		"fyne.io/fyne":                "the proxy runs headless",
	})
}
