// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Chromium over the DevTools protocol (chromedp). One browser process per
// package; each tab lives in a BrowserContext of its own (cookies, cache,
// HSTS and proxy of its own: Target.createBrowserContext's proxyServer), so
// tests do not share state and may run in parallel.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

type chromium struct {
	home    string
	alloc   context.CancelFunc
	ctx     context.Context // the browser's first tab, kept open
	cancel  context.CancelFunc
	logFile *os.File
}

func startChromium(ca *browserCA) (*chromium, error) {
	if _, err := os.Stat(chromiumPath); err != nil {
		return nil, fmt.Errorf("%s is missing (Debian package chromium)", chromiumPath)
	}
	home, err := os.MkdirTemp("", "polaris-e2e-chromium")
	if err != nil {
		return nil, err
	}
	// Chromium on Linux trusts the certificates of ~/.pki/nssdb.
	if err := ca.trustInNSS(filepath.Join(home, ".pki", "nssdb")); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	return launchChromium(home)
}

// launchChromium starts Chromium with HOME=home (its NSS database is
// home/.pki/nssdb) and its profile in home/profile; close removes home.
func launchChromium(home string) (*chromium, error) {
	logFile, _ := os.Create(filepath.Join(home, "chromium.log"))
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(filepath.Join(home, "profile")),
		chromedp.Env("HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache")),
		chromedp.NoSandbox, // root, or a user namespace: no setuid sandbox
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,DialMediaRouteProvider"),
		chromedp.Flag("window-size", "1280,900"),
		chromedp.CombinedOutput(logFile),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The browser lives as long as the context of the first Run: no
	// timeout here (a browser that never answers fails the test's timeout).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		allocCancel()
		os.RemoveAll(home)
		return nil, fmt.Errorf("starting %s: %w", chromiumPath, err)
	}
	return &chromium{home: home, alloc: allocCancel, ctx: ctx, cancel: cancel, logFile: logFile}, nil
}

func (c *chromium) Name() string { return "chromium" }

func (c *chromium) close() {
	c.cancel()
	c.alloc()
	if c.logFile != nil {
		c.logFile.Close()
	}
	os.RemoveAll(c.home)
}

func (c *chromium) open(t testing.TB, proxyAddr string) (tab, error) {
	opt := func(p *target.CreateBrowserContextParams) {
		if proxyAddr != "" {
			p.ProxyServer = "http://" + proxyAddr
			// Loopback goes through the proxy too (Polaris's own address
			// is then answered by Polaris).
			p.ProxyBypassList = "<-loopback>"
		}
	}
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext(opt))
	// As above: the tab lives as long as the first Run's context.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		return nil, err
	}
	return &chromiumTab{ctx: ctx, cancel: cancel}, nil
}

type chromiumTab struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// actionTimeout bounds one browser action; generous for a loaded 2-core CI.
const actionTimeout = 60 * time.Second

func (c *chromiumTab) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(c.ctx, actionTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func (c *chromiumTab) navigate(url string) error {
	err := c.do(chromedp.Navigate(url))
	var le *chromedp.LoadError
	if errors.As(err, &le) {
		return fmt.Errorf("the browser shows an error page: %s", le.ErrorText)
	}
	return err
}

func (c *chromiumTab) eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(c.ctx, actionTimeout)
	defer cancel()
	obj, err := chromedp.Run(ctx, chromedp.Evaluate[*runtime.RemoteObject](expr, chromedp.EvalAwaitPromise, func(p *runtime.EvaluateParams) {
		p.ReturnByValue = ptrTo(true)
	}))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if obj.Type == "undefined" {
		return fmt.Errorf("the expression is undefined")
	}
	return json.Unmarshal(obj.Value, out)
}

func (c *chromiumTab) click(selector string) error {
	return c.do(chromedp.Click(chromedp.CSS(selector)))
}

// clickInFrame clicks the centre of the frame: another origin's frame is
// another renderer, which chromedp's selectors do not reach. The frames
// the tests click are Polaris's, whose one button sits in the middle; the
// test then checks what the click did, so a miss fails it.
func (c *chromiumTab) clickInFrame(frameSelector, selector string) error {
	return c.click(frameSelector)
}

func (c *chromiumTab) screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

func (c *chromiumTab) url() (string, error) {
	ctx, cancel := context.WithTimeout(c.ctx, actionTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Location())
}

func (c *chromiumTab) close() { c.cancel() }

func ptrTo[T any](v T) *T { return &v }
