// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/ca"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
)

// HTTPS: the per-install CA (loaded once, behind an atomic pointer, and
// reloaded when another process regenerated it), the upstream roots, the
// proxy's HTTPS policy, pinned hosts and what sites answer.

// httpsState is the HTTPS part of App.
type httpsState struct {
	ca atomic.Pointer[ca.CA]

	mu        sync.Mutex // serialises CA loads and the fields below
	caSig     string     // size and mtime of ca.pem when loaded
	caStatus  status.CA
	caErr     string // last CA problem told to the user
	rootsKey  string // the upstream CA file (path, size, mtime) in force
	rootsFor  *proxy.Proxy
	rootsErr  string
	passHosts []string

	tkMu sync.Mutex
	tk   map[string]string // last Tk value stored per site

	eff        atomic.Pointer[map[string]struct{}] // sites that post the EFF DNT policy
	honorEFF   atomic.Bool                         // blocking.honor-dnt-policy
	lastReject atomic.Int64                        // unix time of the last "CA not trusted" notice
}

// caDir is where the CA lives in the data dir.
func (a *App) caDir() string { return filepath.Join(a.opts.DataDir, "ca") }

// fileSig describes a file's identity cheaply (no read): "" if missing.
func fileSig(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano())
}

// loadCA returns the CA, loading it (and, with create, generating it) the
// first time or when its file changed on disk. Without create, a data dir
// without a CA gives ca.ErrNoCA.
func (a *App) loadCA(create bool) (*ca.CA, error) {
	a.hx.mu.Lock()
	defer a.hx.mu.Unlock()
	certPath := filepath.Join(a.caDir(), "ca.pem")
	sig := fileSig(certPath)
	if c := a.hx.ca.Load(); c != nil && sig == a.hx.caSig {
		return c, nil
	}
	if sig == "" && !create {
		return nil, ca.ErrNoCA
	}
	c, err := ca.Load(a.caDir())
	if err != nil {
		return nil, err
	}
	a.hx.ca.Store(c)
	a.hx.caSig = fileSig(certPath)
	a.hx.caStatus = c.Status()
	a.recordCA(c)
	return c, nil
}

// recordCA notes the CA's fingerprint in the database, which wakes a
// running Polaris in another process (see applyHTTPS).
func (a *App) recordCA(c *ca.CA) {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return
	}
	if err := st.SetCAFingerprint(context.Background(), c.Fingerprint()); err != nil {
		a.log.Printf("recording the CA fingerprint: %v", err)
	}
}

// tlsConfigForHost is the proxy's certificate source (HTTPS filtering).
func (a *App) tlsConfigForHost(host string) (*tls.Config, error) {
	c := a.hx.ca.Load()
	if c == nil {
		return nil, ca.ErrNoCA
	}
	return c.TLSConfigForHost(host)
}

// caPEM is what the status page offers for download: the CA, if there is
// one (the page does not create one).
func (a *App) caPEM() ([]byte, error) {
	c, err := a.loadCA(false)
	if err != nil {
		return nil, err
	}
	return c.PEM(), nil
}

// httpsPolicyFrom converts settings into the proxy's HTTPS policy. What
// subscribed DuckDuckGo privacy configurations say about links (exceptions
// to HTTPS upgrades, Referer trimming, parameter stripping and AMP
// unwrapping; more tracking parameters, AMP keywords and formats) is not
// here: it is compiled into the matcher (Matcher.DDGLinks) and swapped into
// the proxy with it (applyView, proxy.SetMatcher), so no request sees rules
// of one list version with exceptions of another; the proxy adds it to this
// policy. No list names hosts known to serve HTTPS, so KnownHTTPS stays
// unset: upgrades come from https.search-engines and https.first.
func httpsPolicyFrom(s settings.Settings, passThrough []string, sameOwner func(a, b string) bool) proxy.HTTPSPolicy {
	return proxy.HTTPSPolicy{
		Filter:            s.HTTPS.Filter,
		Exclusions:        s.HTTPS.Exclusions,
		DefaultExclusions: s.HTTPS.DefaultExclusions,
		PassThrough:       passThrough,
		SearchEngines:     s.HTTPS.SearchEngines,
		First:             s.HTTPS.First,
		TrimReferrer:      s.HTTPS.TrimReferrer,
		StripParams:       s.HTTPS.StripParams,
		Unprotected:       s.Blocking.Allowlist,
		CheckSites:        s.Signals.CheckSites,
		// Sites of one owner are one party for the Referer too
		// (blocking.owner-parties, from the loaded entity maps).
		SameOwner: sameOwner,
	}
}

// httpsProxyConfig fills the HTTPS hooks of a proxy configuration.
func (a *App) httpsProxyConfig(cfg *proxy.Config) {
	cfg.TLSConfigForHost = a.tlsConfigForHost
	cfg.CACertPEM = a.caPEM
	cfg.OnCertRejected = a.certRejected
	cfg.OnTk = a.sawTk
	cfg.OnSiteChecked = a.siteChecked
}

// applyHTTPS brings proxy p in line with the HTTPS settings: CA, upstream
// roots, policy and pinned hosts. It runs when the proxy is built and after
// every change to the settings or the database.
func (a *App) applyHTTPS(ctx context.Context, p *proxy.Proxy, s settings.Settings) {
	a.hx.honorEFF.Store(s.Blocking.HonorDNTPolicy)
	if a.hx.eff.Load() == nil {
		a.loadEFFSites(ctx)
	}
	if s.HTTPS.Filter {
		if _, err := a.loadCA(true); err != nil {
			a.httpsProblem(&a.hx.caErr, "HTTPS filtering is on, but Polaris's certificate authority cannot be used, so HTTPS passes through untouched: %v", err)
		} else {
			a.httpsProblem(&a.hx.caErr, "")
		}
	} else {
		a.loadCA(false) // pick up a CA regenerated elsewhere; none is fine
	}
	a.applyRoots(p, s.HTTPS.UpstreamCA)
	pass := a.readPassThrough(ctx)
	sameOwner := func(a, b string) bool {
		m := p.Matcher()
		return m != nil && m.SameParty(a, b)
	}
	if err := p.SetHTTPSPolicy(httpsPolicyFrom(s, pass, sameOwner)); err != nil {
		a.noticef(status.Error, "The HTTPS settings could not be applied: %v", err)
	}
}

// applyRoots gives p the system roots plus the extra upstream CA file, when
// that (or the proxy) changed. A bad file is reported and the system roots
// alone are used: stricter, never looser.
func (a *App) applyRoots(p *proxy.Proxy, path string) {
	key := path
	if path != "" {
		key += "|" + fileSig(path)
	}
	a.hx.mu.Lock()
	defer a.hx.mu.Unlock()
	if p == a.hx.rootsFor && key == a.hx.rootsKey {
		return
	}
	pool, err := ca.ExtraRoots(path)
	if err != nil {
		a.httpsProblemLocked(&a.hx.rootsErr, "The extra certificate authority for servers (https.upstream-ca) cannot be used, so only the system's are trusted: %v", err)
		if pool, err = ca.ExtraRoots(""); err != nil {
			pool = nil // the system's, as crypto/tls finds them
		}
	} else {
		a.httpsProblemLocked(&a.hx.rootsErr, "")
	}
	a.hx.rootsFor, a.hx.rootsKey = p, key
	if pool == nil {
		pool = x509.NewCertPool()
		if sys, err := x509.SystemCertPool(); err == nil {
			pool = sys
		}
	}
	p.SetUpstreamRoots(pool)
}

// httpsProblem tells the user about a problem once (until it changes or
// goes away: msg "" clears it).
func (a *App) httpsProblem(last *string, format string, args ...any) {
	a.hx.mu.Lock()
	defer a.hx.mu.Unlock()
	a.httpsProblemLocked(last, format, args...)
}

func (a *App) httpsProblemLocked(last *string, format string, args ...any) {
	msg := ""
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	if msg == *last {
		return
	}
	*last = msg
	if msg != "" {
		go a.noticef(status.Error, "%s", msg) // noticef takes a.mu; never under a.hx.mu
	}
}

func (a *App) readPassThrough(ctx context.Context) []string {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return nil
	}
	hosts, err := st.PassThroughHosts(ctx)
	if err != nil {
		a.log.Printf("reading the pass-through hosts: %v", err)
		return nil
	}
	a.hx.mu.Lock()
	a.hx.passHosts = hosts
	a.hx.mu.Unlock()
	return hosts
}

// certRejected is called by the proxy when a client rejected Polaris's
// certificate for host.
func (a *App) certRejected(host string, remembered bool) {
	if !remembered {
		now := time.Now().Unix()
		if last := a.hx.lastReject.Load(); now-last < 600 || !a.hx.lastReject.CompareAndSwap(last, now) {
			return
		}
		a.noticef(status.Warning, "A program on this computer refused Polaris's certificate for %s. If it is your browser, it does not trust Polaris's certificate authority yet: run `polaris ca install`, or open http://%s/ and follow the steps there.", host, settings.ReservedHost)
		return
	}
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st != nil {
		if err := st.AddPassThrough(context.Background(), host); err != nil {
			a.log.Printf("remembering %s as passed through: %v", host, err)
		}
		a.applyRunning(context.Background())
	}
	a.noticef(status.Info, "%s refused Polaris's certificate (the program pins the site's own certificate). Polaris passes %s through untouched from now on; `polaris ca forget %s` undoes this.", host, host, host)
}

// sawTk records a Tk header (only when it changed: this runs on the
// request path).
func (a *App) sawTk(site, v string) {
	a.hx.tkMu.Lock()
	if a.hx.tk == nil {
		a.hx.tk = map[string]string{}
	}
	if a.hx.tk[site] == v {
		a.hx.tkMu.Unlock()
		return
	}
	if len(a.hx.tk) > 10000 {
		clear(a.hx.tk)
	}
	a.hx.tk[site] = v
	a.hx.tkMu.Unlock()
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return
	}
	go func() {
		if err := st.SaveTk(context.Background(), site, v, time.Now()); err != nil {
			a.log.Printf("recording the Tk header of %s: %v", site, err)
		}
	}()
}

// siteChecked stores what a site answered.
func (a *App) siteChecked(ans status.SiteAnswer) {
	a.updateEFF(ans.Site, ans.EFFPolicy)
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return
	}
	if err := st.SaveSiteCheck(context.Background(), ans); err != nil {
		a.log.Printf("recording what %s answered: %v", ans.Site, err)
	}
}

// loadEFFSites reads the sites known to post the EFF DNT policy.
func (a *App) loadEFFSites(ctx context.Context) {
	m := map[string]struct{}{}
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st != nil {
		answers, err := st.SiteAnswers(ctx)
		if err != nil {
			a.log.Printf("reading site answers: %v", err)
		}
		for _, ans := range answers {
			if ans.EFFPolicy {
				m[ans.Site] = struct{}{}
			}
		}
	}
	a.hx.eff.CompareAndSwap(nil, &m)
}

// updateEFF records whether site posts the EFF policy (copy on write: the
// map is read without a lock on the request path).
func (a *App) updateEFF(site string, posts bool) {
	for {
		old := a.hx.eff.Load()
		var cur map[string]struct{}
		if old != nil {
			cur = *old
		}
		if _, has := cur[site]; has == posts {
			return
		}
		m := make(map[string]struct{}, len(cur)+1)
		for k := range cur {
			m[k] = struct{}{}
		}
		if posts {
			m[site] = struct{}{}
		} else {
			delete(m, site)
		}
		if a.hx.eff.CompareAndSwap(old, &m) {
			return
		}
	}
}

// HonorsDNTPolicy reports whether the blocking code should leave a third
// party alone because it posts the EFF Do Not Track policy, as Privacy
// Badger does: true only while blocking.honor-dnt-policy is on and site
// (a registrable domain, e.g. "example.com") was seen posting the policy at
// https://<host>/.well-known/dnt-policy.txt. It takes no lock and allocates
// nothing; call it on the request path. Use QueueSiteCheck to learn about a
// third party not checked yet.
func (a *App) HonorsDNTPolicy(site string) bool {
	if !a.hx.honorEFF.Load() {
		return false
	}
	m := a.hx.eff.Load()
	if m == nil {
		return false
	}
	_, ok := (*m)[site]
	return ok
}

// QueueSiteCheck asks for the well-known DNT/GPC resources of host to be
// fetched (once per session, off the request path, through the current
// route), so that HonorsDNTPolicy learns about it. It does nothing unless
// blocking.honor-dnt-policy is on and Polaris is running. It never blocks.
func (a *App) QueueSiteCheck(host string) {
	if !a.hx.honorEFF.Load() {
		return
	}
	if p := a.currentProxy(); p != nil {
		p.CheckSite(host)
	}
}

// SiteAnswers returns what sites answered about DNT and GPC, by site.
func (a *App) SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error) {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return nil, ErrDegraded
	}
	return st.SiteAnswers(ctx)
}

// trustOptions are the trust stores Polaris works on.
func (a *App) trustOptions(system bool) ca.TrustOptions {
	o := a.opts.Trust
	o.Dir, o.System = a.caDir(), system
	return o
}

// InstallCA adds Polaris's CA (generating it if needed) to the browsers'
// trust stores and the system's, and says what it changed.
func (a *App) InstallCA(ctx context.Context) (string, error) { return a.InstallCATo(ctx, true) }

// InstallCATo is InstallCA; system false leaves the operating system's
// store alone (browsers' NSS databases only).
func (a *App) InstallCATo(ctx context.Context, system bool) (string, error) {
	if _, err := a.loadCA(true); err != nil {
		return "", err
	}
	rep, err := ca.Install(ctx, a.trustOptions(system))
	a.refreshCAStatus()
	return rep.String(), err
}

// UninstallCA removes from the trust stores exactly what InstallCA added.
func (a *App) UninstallCA(ctx context.Context) (string, error) { return a.UninstallCAFrom(ctx, true) }

// UninstallCAFrom is UninstallCA; system false leaves the operating
// system's store alone.
func (a *App) UninstallCAFrom(ctx context.Context, system bool) (string, error) {
	rep, err := ca.Uninstall(ctx, a.trustOptions(system))
	a.refreshCAStatus()
	return rep.String(), err
}

// CATrust checks which trust stores hold the CA, changing nothing.
func (a *App) CATrust(ctx context.Context, system bool) (string, error) {
	rep, err := ca.TrustStatus(ctx, a.trustOptions(system))
	if errors.Is(err, ca.ErrNoCA) {
		return "", err
	}
	return rep.String(), err
}

// CACertificate returns the CA certificate (generating the CA if needed),
// PEM or DER.
func (a *App) CACertificate(der bool) ([]byte, error) {
	c, err := a.loadCA(true)
	if err != nil {
		return nil, err
	}
	if der {
		return c.DER(), nil
	}
	return c.PEM(), nil
}

// ExportCA writes the CA certificate to path (PEM, or DER with der),
// generating the CA if needed. The certificate is public; the key never
// leaves the data dir.
func (a *App) ExportCA(path string, der bool) error {
	if path == "" {
		return errors.New("no file given")
	}
	b, err := a.CACertificate(der)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("writing the certificate: %w", err)
	}
	return nil
}

// RegenerateCA replaces the CA with a new one. The old one is first removed
// from every trust store it was installed in (its key is deleted, so
// nothing signed by it must stay trusted); install the new one afterwards.
func (a *App) RegenerateCA(ctx context.Context) error {
	if st := a.CAStatus(); len(st.Installed) > 0 {
		rep, err := ca.Uninstall(ctx, a.trustOptions(true))
		if err != nil {
			return fmt.Errorf("removing the old certificate first: %w\n%s", err, rep.String())
		}
	}
	a.hx.mu.Lock()
	c, err := ca.Regenerate(a.caDir())
	if err == nil {
		a.hx.ca.Store(c)
		a.hx.caSig = fileSig(filepath.Join(a.caDir(), "ca.pem"))
		a.hx.caStatus = c.Status()
	}
	a.hx.mu.Unlock()
	if err != nil {
		return err
	}
	a.recordCA(c)
	a.hub.poke()
	return nil
}

// CAStatus describes the CA (without running any tool); Present is false
// when none was generated yet.
func (a *App) CAStatus() status.CA {
	if _, err := a.loadCA(false); err != nil {
		return status.CA{}
	}
	a.hx.mu.Lock()
	defer a.hx.mu.Unlock()
	return a.hx.caStatus
}

func (a *App) refreshCAStatus() {
	a.hx.mu.Lock()
	if c := a.hx.ca.Load(); c != nil {
		a.hx.caStatus = c.Status()
	}
	a.hx.mu.Unlock()
	a.hub.poke()
}

// PassThroughHosts returns the hosts passed through because their client
// pins its certificate.
func (a *App) PassThroughHosts(ctx context.Context) ([]string, error) {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return nil, ErrDegraded
	}
	return st.PassThroughHosts(ctx)
}

// ForgetPassThrough forgets a pinned host ("" forgets all), so that HTTPS
// filtering looks inside it again; it returns how many were forgotten.
func (a *App) ForgetPassThrough(ctx context.Context, host string) (int64, error) {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return 0, ErrDegraded
	}
	n, err := st.RemovePassThrough(ctx, host)
	if err == nil && n > 0 {
		a.applyRunning(ctx)
	}
	return n, err
}

// httpsSnapshot fills the HTTPS part of a status snapshot.
func (a *App) httpsSnapshot(h *status.HTTPS) {
	a.hx.mu.Lock()
	defer a.hx.mu.Unlock()
	if a.hx.ca.Load() != nil {
		h.CA = a.hx.caStatus
	}
	h.PassThrough = append([]string(nil), a.hx.passHosts...)
}
