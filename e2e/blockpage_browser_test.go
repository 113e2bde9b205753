// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The block page's buttons in real browsers (issue 13, defect 1) and a
// blocked site trying to press them itself (issue 15, item 1).

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// trackerPage serves an article on s whose title is its host.
func trackerPage(s *site) {
	s.Page("/article", `<!doctype html><title>article of `+s.Host+`</title><p>the article</p>`)
	s.Page("/other", `<!doctype html><title>other page of `+s.Host+`</title><p>another page</p>`)
}

// pressBlockButton clicks a button of the block page (and of Polaris's
// confirmation page, when one follows) and waits for the page titled want.
func pressBlockButton(p *page, button, want string) {
	p.t.Helper()
	p.ClickText(button)
	// The confirmation page is looked at once loaded: Firefox reports its
	// address while its document is still empty.
	cond := `document.title == ` + jsString(want) + ` || (location.hostname == "polaris.invalid" && document.readyState == "complete")`
	p.WaitFor(cond, 30*time.Second)
	if strings.Contains(p.URL(), "://polaris.invalid/") {
		if !strings.Contains(p.Text(), "Polaris") {
			p.Fatalf("after %q: a page on polaris.invalid that is not Polaris's: %q", button, p.Text())
		}
		confirm := p.confirmButton(button)
		p.ClickText(confirm)
		p.WaitFor(`document.title == `+jsString(want), 30*time.Second)
	}
}

// confirmButton is the button of the confirmation page that does what
// button of the block page asked.
func (p *page) confirmButton(button string) string {
	p.t.Helper()
	var texts []string
	p.Eval(`[...document.querySelectorAll("button, input[type=submit]")].map(b => (b.innerText || b.value).trim())`, &texts)
	for _, t := range texts {
		if strings.HasPrefix(t, strings.Fields(button)[0]) {
			return t
		}
	}
	p.Fatalf("the page at %s has no button for %q (buttons %q; text %q)", p.URL(), button, texts, p.Text())
	return ""
}

func TestBlockPageButtonsInBrowsers(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	type pair struct{ once, site *site }
	trackers := map[string]pair{}
	var rules []string
	for _, b := range browserNames {
		for _, scheme := range []string{"http", "https"} {
			pr := pair{w.newSite(t, "tracker", sitePlain), w.newSite(t, "adserver", sitePlain)}
			trackerPage(pr.once)
			trackerPage(pr.site)
			trackers[b+scheme] = pr
			rules = append(rules, "||"+pr.once.Host+"^", "||"+pr.site.Host+"^")
		}
	}
	px := browserPolaris(t, "https.filter", "on", "blocking.custom-rules", strings.Join(rules, "\n"))
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		for _, scheme := range []string{"http", "https"} {
			pr := trackers[p.browser+scheme]
			// Allow once: the page loads, the host stays allowed a while.
			p.Navigate(pr.once.URL(scheme, "/article"))
			if txt := p.Text(); !strings.Contains(txt, "Polaris blocked this page") {
				p.Fatalf("%s: %s is not blocked: %q", scheme, pr.once.Host, txt)
			}
			pressBlockButton(p, "Allow once", "article of "+pr.once.Host)
			if len(pr.once.RequestsTo("/article")) != 1 {
				p.Errorf("%s: the origin got %d requests for the article, want 1", scheme, len(pr.once.RequestsTo("/article")))
			}
			p.Navigate(pr.once.URL(scheme, "/other"))
			if got := p.String("document.title"); got != "other page of "+pr.once.Host {
				p.Errorf("%s: another page of the host allowed once: %q", scheme, got)
			}
			// Always allow: the site goes into the allowlist.
			p.Navigate(pr.site.URL(scheme, "/article"))
			pressBlockButton(p, "Always allow "+pr.site.Host, "article of "+pr.site.Host)
			if got := mustPolaris(t, px.dataDir, "config", "get", "blocking.allowlist"); !strings.Contains(got, pr.site.Host) {
				p.Errorf("%s: blocking.allowlist = %q after Always allow, want %s in it", scheme, got, pr.site.Host)
			}
		}
	})
}

// attackScript runs on a blocked site's own page, started by a click of the
// user (so that it may open a window): it opens a blocked address of its
// own origin (the block page then shows in a window the site can read),
// takes every form, field and link of it,
// and tries to press Polaris's buttons with them in every way a page can:
// fetch (no-cors), links fetched and framed, a form posted in a frame, and
// finally (window.finishAttack) a form submitted by the whole page. It
// resolves with a report; the test checks Polaris's state.
func attackScript(blockedURL, site string) string {
	return fmt.Sprintf(`async () => {
	const report = window.progress = [];
	const target = %[2]s;
	const win = window.open(%[1]s, "blocked");
	let doc = null;
	for (let i = 0; i < 100 && !doc; i++) {
		await new Promise(ok => setTimeout(ok, 100));
		try { if (win.document.readyState == "complete" && win.location.href != "about:blank") doc = win.document; } catch (e) { report.push("window not readable"); break; }
	}
	if (!doc) doc = document.implementation.createHTMLDocument("");
	report.push("window: " + doc.body.innerText.slice(0, 60).replace(/\s+/g, " "));
	win.close();
	const forms = [...doc.querySelectorAll("form")].map(f => ({action: f.action, fields: Object.fromEntries(new FormData(f))}));
	const links = [...doc.querySelectorAll("a[href]")].map(a => a.href).filter(h => h.includes("polaris.invalid"));
	report.push("block page: " + forms.length + " forms, " + links.length + " links to polaris.invalid");
	// Links (e.g. a confirmation page): read them if the browser lets us.
	for (const href of links) {
		try { const t = await (await fetch(href, {credentials: "include"})).text(); report.push("read " + href + ": " + t.length);
			const d = new DOMParser().parseFromString(t, "text/html");
			for (const f of d.querySelectorAll("form")) forms.push({action: f.action, fields: Object.fromEntries(new FormData(f))});
		} catch (e) { report.push("cannot read " + href); }
		try { await fetch(href, {mode: "no-cors", credentials: "include"}); } catch (e) {}
		await new Promise(ok => {
			const fr = document.createElement("iframe");
			fr.src = href; fr.onload = () => { try { const d = fr.contentDocument; report.push("framed " + (d && d.body ? d.body.innerHTML.length : "none"));
				for (const f of (d ? d.querySelectorAll("form") : [])) forms.push({action: f.action, fields: Object.fromEntries(new FormData(f))});
			} catch (e) { report.push("frame not readable"); } ok(); };
			setTimeout(ok, 1500); document.body.appendChild(fr);
		});
	}
	// Forms with whatever they carry, plus guesses.
	for (const path of ["/blocked/allow-site", "/blocked/allow-once", "/blocked/confirm"]) {
		forms.push({action: location.protocol + "//polaris.invalid" + path, fields: {target: target, site: target, host: target, action: "site", token: "x"}});
	}
	for (const f of forms) {
		for (const fields of [Object.assign({}, f.fields, {target: target})]) {
			try { await fetch(f.action, {method: "POST", mode: "no-cors", credentials: "include", body: new URLSearchParams(fields)}); } catch (e) {}
			await new Promise(ok => {
				const name = "f" + Math.random();
				const fr = document.createElement("iframe"); fr.name = name; document.body.appendChild(fr);
				const form = document.createElement("form"); form.method = "POST"; form.action = f.action; form.target = name;
				for (const [k, v] of Object.entries(fields)) { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; form.appendChild(i); }
				document.body.appendChild(form); fr.onload = ok; setTimeout(ok, 1500); form.submit();
			});
		}
	}
	report.push("tried " + forms.length + " forms");
	// Last: the whole page submits the most promising form (a navigation).
	const best = forms.find(f => f.action.includes("allow-site") && f.action.startsWith(location.protocol)) || forms[0];
	window.finishAttack = () => {
		const form = document.createElement("form"); form.method = "POST"; form.action = best.action;
		for (const [k, v] of Object.entries(best.fields)) { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; form.appendChild(i); }
		document.body.appendChild(form); form.submit();
	};
	return report.join("; ");
}`, jsString(blockedURL), jsString(site))
}

// A blocked site's own script cannot allow itself, before or after the
// user pressed "Allow once" on its block page.
func TestBlockedSiteCannotAllowItself(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	evil := map[string]*site{}
	var rules []string
	for _, b := range browserNames {
		for _, scheme := range []string{"http", "https"} {
			s := w.newSite(t, "evil", sitePlain)
			evil[b+scheme] = s
			// The site's pages load; its /ads/ path and its cdn host are
			// blocked, and so is the whole of a second host of the site
			// (allowed once by the user below).
			rules = append(rules, "||"+s.Host+"/ads/$document", "||www."+s.Host+"^")
			s.Page("/", `<!doctype html><title>evil</title><p>evil page</p>`)
			w.alias(s, "www."+s.Host)
			s.Page("/ads/banner", `<!doctype html><title>banner</title>`)
		}
	}
	px := browserPolaris(t, "https.filter", "on", "blocking.custom-rules", strings.Join(rules, "\n"))
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		for _, scheme := range []string{"http", "https"} {
			s := evil[p.browser+scheme]
			www := scheme + "://www." + s.Host + "/"
			check := func(when string) {
				t.Helper()
				if got := mustPolaris(t, px.dataDir, "config", "get", "blocking.allowlist"); strings.Contains(got, s.Host) {
					p.Fatalf("%s, %s: the site's script put itself in the allowlist: blocking.allowlist = %q", scheme, when, got)
				}
				if n := len(s.RequestsTo("/ads/banner")); n != 0 {
					p.Fatalf("%s, %s: the blocked address reached the origin %d times", scheme, when, n)
				}
			}
			attack := func(from, blocked, when string) {
				t.Helper()
				p.Navigate(from)
				// The page gets the attack and a button that starts it: a
				// person's click lets the page open a window.
				p.Eval(`(() => {
					window.attack = `+attackScript(blocked, s.Host)+`;
					const b = document.createElement("button"); b.id = "go"; b.textContent = "Continue";
					b.style = "margin: 50px; padding: 20px";
					b.onclick = () => { window.attack().then(r => window.report = r, e => window.report = "failed: " + e); };
					document.body.prepend(b);
				})()`, nil)
				p.Click("#go")
				if err := p.waitFor(`window.report !== undefined`, 90*time.Second); err != nil {
					p.Fatalf("%s, %s: the attack did not end: %v; it did %s", scheme, when, err, p.String(`JSON.stringify(window.progress)`))
				}
				report := p.String(`window.report`)
				t.Logf("%s, %s: %s", scheme, when, report)
				// The script's last step navigates the page away (to what
				// Polaris answers).
				p.Eval(`window.finishAttack()`, nil)
				p.WaitFor(`location.href != `+jsString(from)+` && document.readyState == "complete"`, 30*time.Second)
				t.Logf("%s, %s: the page's own form got %q", scheme, when, p.Text())
				check(when)
			}
			// 1. The site's page attacks its own block page.
			attack(s.URL(scheme, "/"), s.URL(scheme, "/ads/banner"), "from its page")

			// 2. The user allows the site's blocked www host once (on the
			// confirmation page); then the site's page attacks again.
			p.Navigate(www)
			pressBlockButton(p, "Allow once", "evil")
			attack(s.URL(scheme, "/"), s.URL(scheme, "/ads/banner"), "from its page after Allow once")

			// The address stays blocked for the user too.
			p.Navigate(s.URL(scheme, "/ads/banner"))
			if !strings.Contains(p.Text(), "Polaris blocked this page") {
				p.Errorf("%s: %s/ads/banner is no longer blocked: %q", scheme, s.Host, p.Text())
			}
		}
	})
}
