// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// setupBackend is the part of a Backend that `polaris setup` without
// HTTPS filtering uses; any other call panics (the embedded nil Backend).
type setupBackend struct {
	Backend
	set  settings.Settings
	seen bool
}

func (b *setupBackend) Settings() settings.Settings { return b.set }
func (b *setupBackend) Set(ctx context.Context, key, value string) error {
	return b.set.Set(key, value)
}
func (b *setupBackend) FindBrowsers(context.Context) []status.FoundBrowser { return nil }
func (b *setupBackend) MarkSetupSeen(context.Context) error                { b.seen = true; return nil }
func (b *setupBackend) Close() error                                       { return nil }

// A set-up done on the terminal counts as done for the window too: it does
// not open the set-up by itself afterwards.
func TestSetupRecordsItWasDone(t *testing.T) {
	b := &setupBackend{set: settings.Default()}
	var out, errOut bytes.Buffer
	e := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		DefaultDataDir: func() (string, error) { return t.TempDir(), nil },
		Open:           func(context.Context, Options) (Backend, error) { return b, nil }}
	if code := Main(e, []string{"setup", "--dnt", "unset", "--gpc", "on", "--https-filter", "no", "--system-proxy", "off"}); code != ExitOK {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	if !b.seen {
		t.Error("the set-up was not recorded as done")
	}
}
