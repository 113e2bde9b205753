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
	"strings"
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

// httpsPart is the App's part for HTTPS: the CA, the upstream roots, the
// proxy's HTTPS policy, the pinned hosts and what sites answer.
type httpsPart struct {
	*core
	hx httpsState
	// reapply brings the running proxy in line with the settings and the
	// database (App.applyRunning), after a host was remembered as pinned.
	reapply func(context.Context)
}

// httpsState is the state of the HTTPS part.
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
	trustFor  *proxy.Proxy // the proxy trustSig was last seen by
	trustSig  string       // the trust stores' manifest and the CA file

	tkMu sync.Mutex
	tk   map[string]string // last Tk value stored per site

	lastReject atomic.Int64 // unix time of the last "CA not trusted" notice
}

// caDir is where the CA lives in the data dir.
func (h *httpsPart) caDir() string { return filepath.Join(h.opts.DataDir, "ca") }

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
func (h *httpsPart) loadCA(create bool) (*ca.CA, error) {
	h.hx.mu.Lock()
	defer h.hx.mu.Unlock()
	certPath := filepath.Join(h.caDir(), "ca.pem")
	sig := fileSig(certPath)
	if c := h.hx.ca.Load(); c != nil && sig == h.hx.caSig {
		return c, nil
	}
	if sig == "" && !create {
		return nil, ca.ErrNoCA
	}
	c, err := ca.Load(h.caDir())
	if err != nil {
		return nil, err
	}
	h.hx.ca.Store(c)
	h.hx.caSig = fileSig(certPath)
	h.hx.caStatus = c.Status()
	h.recordCA(c)
	return c, nil
}

// recordCA notes the CA's fingerprint in the database, which wakes a
// running Polaris in another process (see applyHTTPS).
func (h *httpsPart) recordCA(c *ca.CA) {
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return
	}
	if err := st.SetCAFingerprint(context.Background(), c.Fingerprint()); err != nil {
		h.log.Printf("recording the CA fingerprint: %v", err)
	}
}

// tlsConfigForHost is the proxy's certificate source (HTTPS filtering).
func (h *httpsPart) tlsConfigForHost(host string) (*tls.Config, error) {
	c := h.hx.ca.Load()
	if c == nil {
		return nil, ca.ErrNoCA
	}
	return c.TLSConfigForHost(host)
}

// caPEM is what the status page offers for download: the CA, if there is
// one (the page does not create one).
func (h *httpsPart) caPEM() ([]byte, error) {
	c, err := h.loadCA(false)
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
func httpsPolicyFrom(s settings.Settings, passThrough []string) proxy.HTTPSPolicy {
	return proxy.HTTPSPolicy{
		Filter:            s.HTTPS.Filter,
		Exclusions:        s.HTTPS.Exclusions,
		DefaultExclusions: s.HTTPS.DefaultExclusions,
		PassThrough:       passThrough,
		SearchEngines:     s.HTTPS.SearchEngines,
		First:             s.HTTPS.First,
		TrimReferrer:      s.HTTPS.TrimReferrer,
		StripParams:       s.HTTPS.StripParams,
		SkipRedirectors:   s.HTTPS.SkipRedirectors,
		Unprotected:       s.Blocking.Allowlist,
		CheckSites:        s.Signals.CheckSites,
		// SameOwner is left to the proxy: sites of one owner are one party
		// for the Referer too, by the entity maps of the matcher of the
		// same state (blocking.owner-parties).
	}
}

// httpsProxyConfig fills the HTTPS hooks of a proxy configuration.
func (h *httpsPart) httpsProxyConfig(cfg *proxy.Config) {
	cfg.TLSConfigForHost = h.tlsConfigForHost
	cfg.CACertPEM = h.caPEM
	cfg.OnCertRejected = h.certRejected
	cfg.OnClientsChanged = h.hub.poke
	cfg.OnTk = h.sawTk
	cfg.OnSiteChecked = h.siteChecked
}

// applyHTTPS brings proxy p in line with the HTTPS settings: CA, upstream
// roots, policy and pinned hosts. It runs when the proxy is built and after
// every change to the settings or the database.
// The HTTPS policy itself is part of the proxy's state (state.go).
func (h *httpsPart) applyHTTPS(ctx context.Context, p *proxy.Proxy, s settings.Settings) {
	h.renewCA(ctx)
	if s.HTTPS.Filter {
		if _, err := h.loadCA(true); err != nil {
			h.httpsProblem(&h.hx.caErr, "HTTPS filtering is on, but Polaris's certificate authority cannot be used, so HTTPS passes through untouched: %v", err)
		} else {
			h.httpsProblem(&h.hx.caErr, "")
		}
	} else {
		h.loadCA(false) // pick up a CA regenerated elsewhere; none is fine
	}
	h.applyRoots(p, s.HTTPS.UpstreamCA)
	h.readPassThrough(ctx)
	h.trustChanged(p)
}

// trustChanged makes p try every client again (Proxy.ForgetClientTrust)
// when the CA was installed in trust stores or replaced since p last
// looked — here or by another process (`polaris setup`, `polaris ca
// install`): a browser that refused Polaris's certificate before may trust
// it now.
func (h *httpsPart) trustChanged(p *proxy.Proxy) {
	sig := fileSig(filepath.Join(h.caDir(), "trust.json")) + "|" + fileSig(filepath.Join(h.caDir(), "ca.pem"))
	h.hx.mu.Lock()
	changed := p == h.hx.trustFor && sig != h.hx.trustSig
	h.hx.trustFor, h.hx.trustSig = p, sig
	h.hx.mu.Unlock()
	if changed {
		p.ForgetClientTrust()
	}
}

// passThrough returns the pinned hosts last read from the database.
func (h *httpsPart) passThrough() []string {
	h.hx.mu.Lock()
	defer h.hx.mu.Unlock()
	return h.hx.passHosts
}

// applyRoots gives p the system roots plus the extra upstream CA file, when
// that (or the proxy) changed. A bad file is reported and the system roots
// alone are used: stricter, never looser.
func (h *httpsPart) applyRoots(p *proxy.Proxy, path string) {
	key := path
	if path != "" {
		key += "|" + fileSig(path)
	}
	h.hx.mu.Lock()
	defer h.hx.mu.Unlock()
	if p == h.hx.rootsFor && key == h.hx.rootsKey {
		return
	}
	pool, err := ca.ExtraRoots(path)
	if err != nil {
		h.httpsProblemLocked(&h.hx.rootsErr, "The extra certificate authority for servers (https.upstream-ca) cannot be used, so only the system's are trusted: %v", err)
		if pool, err = ca.ExtraRoots(""); err != nil {
			pool = nil // the system's, as crypto/tls finds them
		}
	} else {
		h.httpsProblemLocked(&h.hx.rootsErr, "")
	}
	h.hx.rootsFor, h.hx.rootsKey = p, key
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
func (h *httpsPart) httpsProblem(last *string, format string, args ...any) {
	h.hx.mu.Lock()
	defer h.hx.mu.Unlock()
	h.httpsProblemLocked(last, format, args...)
}

func (h *httpsPart) httpsProblemLocked(last *string, format string, args ...any) {
	msg := ""
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	if msg == *last {
		return
	}
	*last = msg
	if msg != "" {
		go h.noticef(status.Error, "%s", msg) // noticef takes h.mu; never under h.hx.mu
	}
}

func (h *httpsPart) readPassThrough(ctx context.Context) []string {
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return nil
	}
	hosts, err := st.PassThroughHosts(ctx)
	if err != nil {
		h.log.Printf("reading the pass-through hosts: %v", err)
		return nil
	}
	h.hx.mu.Lock()
	h.hx.passHosts = hosts
	h.hx.mu.Unlock()
	return hosts
}

// certRejected is called by the proxy when a client rejected Polaris's
// certificate. The proxy keeps what it learned for that kind of client
// alone (never for every client); this tells the user, at most every 10
// minutes for clients that do not trust the CA.
func (h *httpsPart) certRejected(r proxy.CertRejection) {
	who := r.Client.Words()
	if r.Pinning {
		h.mu.Lock()
		st := h.st
		h.mu.Unlock()
		if st != nil {
			if err := st.AddPassThrough(context.Background(), r.Entry); err != nil {
				h.log.Printf("remembering %s as passed through for %s: %v", r.Host, who, err)
			}
			h.reapply(context.Background())
		}
		h.noticef(status.Info, "%s refused Polaris's certificate for %s (it checks that site's own certificate). Polaris lets %s's connections to %s through untouched; other browsers are still filtered there. You can undo this on the HTTPS screen.", who, r.Host, who, r.Host)
		return
	}
	now := time.Now().Unix()
	if last := h.hx.lastReject.Load(); now-last < 600 || !h.hx.lastReject.CompareAndSwap(last, now) {
		return
	}
	h.noticef(status.Warning, "%s does not trust Polaris's certificate, so Polaris lets its HTTPS through untouched: its secure pages are not filtered (other browsers are not affected). Set up HTTPS filtering for this browser from the Overview.", who)
}

// sawTk records a Tk header (only when it changed: this runs on the
// request path).
func (h *httpsPart) sawTk(site, v string) {
	h.hx.tkMu.Lock()
	if h.hx.tk == nil {
		h.hx.tk = map[string]string{}
	}
	if h.hx.tk[site] == v {
		h.hx.tkMu.Unlock()
		return
	}
	if len(h.hx.tk) > 10000 {
		clear(h.hx.tk)
	}
	h.hx.tk[site] = v
	h.hx.tkMu.Unlock()
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return
	}
	go func() {
		if err := st.SaveTk(context.Background(), site, v, time.Now()); err != nil {
			h.log.Printf("recording the Tk header of %s: %v", site, err)
		}
	}()
}

// siteChecked stores what a site answered.
func (h *httpsPart) siteChecked(ans status.SiteAnswer) {
	if p := h.currentProxy(); p != nil {
		p.LearnDNTPolicy(ans.Site, ans.EFFPolicy)
	}
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return
	}
	if err := st.SaveSiteCheck(context.Background(), ans); err != nil {
		h.log.Printf("recording what %s answered: %v", ans.Site, err)
	}
}

// loadEFFSites reads the sites known to post the EFF DNT policy.
func (h *httpsPart) loadEFFSites(ctx context.Context, p *proxy.Proxy) {
	var sites []string
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st != nil {
		answers, err := st.SiteAnswers(ctx)
		if err != nil {
			h.log.Printf("reading site answers: %v", err)
		}
		for _, ans := range answers {
			if ans.EFFPolicy {
				sites = append(sites, ans.Site)
			}
		}
	}
	p.SetDNTPolicySites(sites)
}

// SiteAnswers returns what sites answered about DNT and GPC, by site.
func (h *httpsPart) SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error) {
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return nil, ErrDegraded
	}
	return st.SiteAnswers(ctx)
}

// trustOptions are the trust stores Polaris works on.
func (h *httpsPart) trustOptions(system bool) ca.TrustOptions {
	o := h.opts.Trust
	o.Dir, o.System = h.caDir(), system
	return o
}

// InstallCA adds Polaris's CA (generating it if needed) to the browsers'
// trust stores and the system's, and says what it changed: the window's
// action. The system store is changed after an administrator's password
// prompt where one can be asked (pkexec); the report names no command to
// run by hand.
func (h *httpsPart) InstallCA(ctx context.Context) (string, error) {
	if _, err := h.loadCA(true); err != nil {
		return "", err
	}
	rep, err := ca.Install(ctx, h.promptOptions())
	h.refreshCAStatus()
	if p := h.currentProxy(); p != nil {
		h.trustChanged(p)
	}
	return windowReport(rep), err
}

// promptOptions are the trust options with the system store, changed after
// a password prompt where pkexec is there.
func (h *httpsPart) promptOptions() ca.TrustOptions {
	o := h.trustOptions(true)
	if systemPrompt() {
		o.Elevate = func(c ca.Command) ca.Command {
			return ca.Command{Name: "pkexec", Args: append([]string{c.Name}, c.Args...)}
		}
	}
	return o
}

// windowReport says a report for the window: no command lines (a store
// that needs an administrator says so in words).
func windowReport(rep ca.Report) string {
	for i := range rep.Changes {
		c := &rep.Changes[i]
		if strings.HasPrefix(c.Detail, "needs the NSS certutil tool") {
			c.Detail = "needs the NSS certificate tool, which is not installed here (Debian and Ubuntu call its package libnss3-tools)"
		}
		if len(c.Commands) > 0 {
			c.Commands = nil
			if c.Detail == "" {
				c.Detail = "an administrator's password is needed, and Polaris could not ask for it here"
			}
		}
	}
	return rep.String()
}

// InstallCATo is InstallCA; system false leaves the operating system's
// store alone (browsers' NSS databases only).
func (h *httpsPart) InstallCATo(ctx context.Context, system bool) (string, error) {
	if _, err := h.loadCA(true); err != nil {
		return "", err
	}
	rep, err := ca.Install(ctx, h.trustOptions(system))
	h.refreshCAStatus()
	if p := h.currentProxy(); p != nil {
		h.trustChanged(p)
	}
	return rep.String(), err
}

// UninstallCA removes from the trust stores exactly what InstallCA added
// (the window's action: the system store after a password prompt, and no
// command lines in the report).
func (h *httpsPart) UninstallCA(ctx context.Context) (string, error) {
	rep, err := ca.Uninstall(ctx, h.promptOptions())
	h.refreshCAStatus()
	return windowReport(rep), err
}

// UninstallCAFrom is UninstallCA; system false leaves the operating
// system's store alone.
func (h *httpsPart) UninstallCAFrom(ctx context.Context, system bool) (string, error) {
	rep, err := ca.Uninstall(ctx, h.trustOptions(system))
	h.refreshCAStatus()
	return rep.String(), err
}

// CATrust checks which trust stores hold the CA, changing nothing.
func (h *httpsPart) CATrust(ctx context.Context, system bool) (string, error) {
	rep, err := ca.TrustStatus(ctx, h.trustOptions(system))
	if errors.Is(err, ca.ErrNoCA) {
		return "", err
	}
	return rep.String(), err
}

// CACertificate returns the CA certificate (generating the CA if needed),
// PEM or DER.
func (h *httpsPart) CACertificate(der bool) ([]byte, error) {
	c, err := h.loadCA(true)
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
func (h *httpsPart) ExportCA(path string, der bool) error {
	if path == "" {
		return errors.New("no file given")
	}
	b, err := h.CACertificate(der)
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
func (h *httpsPart) RegenerateCA(ctx context.Context) error {
	if st := h.CAStatus(); len(st.Installed) > 0 {
		rep, err := ca.Uninstall(ctx, h.trustOptions(true))
		if err != nil {
			return fmt.Errorf("removing the old certificate first: %w\n%s", err, rep.String())
		}
	}
	h.hx.mu.Lock()
	c, err := ca.Regenerate(h.caDir())
	if err == nil {
		h.hx.ca.Store(c)
		h.hx.caSig = fileSig(filepath.Join(h.caDir(), "ca.pem"))
		h.hx.caStatus = c.Status()
	}
	h.hx.mu.Unlock()
	if err != nil {
		return err
	}
	h.recordCA(c)
	h.hub.poke()
	return nil
}

// renewCA replaces a CA that expires within ca.RenewBefore (or has
// expired) with a new one, installed wherever the old one was, and swaps it
// in. It runs at start and with every change applied; a CA that is not due
// costs a comparison.
func (h *httpsPart) renewCA(ctx context.Context) {
	if _, err := h.loadCA(false); err != nil || !ca.Due(h.hx.ca.Load(), time.Now()) {
		return
	}
	h.hx.mu.Lock()
	c, rep, err := ca.Renew(ctx, h.trustOptions(false), ca.RenewBefore)
	if c != nil {
		h.hx.ca.Store(c)
		h.hx.caSig = fileSig(filepath.Join(h.caDir(), "ca.pem"))
		h.hx.caStatus = c.Status()
	}
	h.hx.mu.Unlock()
	if err != nil {
		h.log.Printf("renewing Polaris's certificate authority, which expires soon: %v\n%s", err, rep.String())
	} else if c != nil {
		h.log.Printf("Polaris's certificate authority was renewed (valid until %s)\n%s", c.Certificate().NotAfter.Format(time.DateOnly), rep.String())
	}
	if c != nil {
		h.recordCA(c)
		h.hub.poke()
	}
}

// CAStatus describes the CA (without running any tool); Present is false
// when none was generated yet.
func (h *httpsPart) CAStatus() status.CA {
	if _, err := h.loadCA(false); err != nil {
		return status.CA{}
	}
	h.hx.mu.Lock()
	defer h.hx.mu.Unlock()
	return h.hx.caStatus
}

func (h *httpsPart) refreshCAStatus() {
	h.hx.mu.Lock()
	if c := h.hx.ca.Load(); c != nil {
		h.hx.caStatus = c.Status()
	}
	h.hx.mu.Unlock()
	h.hub.poke()
}

// PassThroughHosts returns the hosts passed through because their client
// pins its certificate.
func (h *httpsPart) PassThroughHosts(ctx context.Context) ([]string, error) {
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return nil, ErrDegraded
	}
	entries, err := st.PassThroughHosts(ctx)
	return passThroughWords(entries), err
}

// passThroughWords says stored pass-through entries in words.
func passThroughWords(entries []string) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, proxy.PassThroughWords(e))
	}
	return out
}

// ForgetPassThrough forgets a pinned host ("" forgets all), so that HTTPS
// filtering looks inside it again; it returns how many were forgotten.
func (h *httpsPart) ForgetPassThrough(ctx context.Context, host string) (int64, error) {
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st == nil {
		return 0, ErrDegraded
	}
	n, err := st.RemovePassThrough(ctx, host)
	if err == nil && n > 0 {
		h.reapply(ctx)
	}
	return n, err
}

// httpsSnapshot fills the HTTPS part of a status snapshot.
func (h *httpsPart) httpsSnapshot(out *status.HTTPS) {
	h.hx.mu.Lock()
	defer h.hx.mu.Unlock()
	if h.hx.ca.Load() != nil {
		out.CA = h.hx.caStatus
	}
	out.PassThrough = passThroughWords(h.hx.passHosts)
}

// forgetSiteAnswers drops what sites answered from memory (the user
// deleted their data): the Tk values and the sites posting the EFF policy,
// read again from the fresh database.
func (h *httpsPart) forgetSiteAnswers() {
	h.hx.tkMu.Lock()
	h.hx.tk = nil
	h.hx.tkMu.Unlock()
	if p := h.currentProxy(); p != nil {
		p.SetDNTPolicySites(nil) // the fresh database knows none
	}
}

// HonorsDNTPolicy reports whether the running proxy lets a blocked third
// party of site (a registrable domain, e.g. "example.com") through because
// it posts the EFF Do Not Track policy, as Privacy Badger does: only while
// blocking.honor-dnt-policy is on and the site was seen posting the policy
// at https://<host>/.well-known/dnt-policy.txt. False while Polaris does
// not run.
func (h *httpsPart) HonorsDNTPolicy(site string) bool {
	p := h.currentProxy()
	return p != nil && p.HonorsDNTPolicy(site)
}
