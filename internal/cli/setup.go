// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"polaris/internal/status"
)

// SetupBackend is what `polaris setup` needs beyond the settings and the
// CA (HTTPSBackend).
type SetupBackend interface {
	// FindBrowsers lists the browsers and profiles on this machine.
	FindBrowsers(ctx context.Context) []status.FoundBrowser
	// SystemPrompt reports whether the system's certificate store can be
	// changed after an administrator's password prompt.
	SystemPrompt() bool
	// InstallCAWithPassword installs the CA in the browsers' stores and
	// the system's, asking for an administrator's password.
	InstallCAWithPassword(ctx context.Context) (report string, err error)
	// MarkSetupSeen records that the set-up was done, so that the window
	// does not open it by itself at its first start.
	MarkSetupSeen(ctx context.Context) error
}

const setupUsage = `usage: polaris setup [--yes] [--dnt 1|0|unset] [--gpc on|off] [--https-filter yes|no] [--system-proxy on|off] [--browsers-only]
  Finds the browsers on this computer, asks your Do Not Track choice (nothing is chosen for you),
  Global Privacy Control and whether to filter HTTPS, makes Polaris the system proxy, installs
  Polaris's certificate authority where each browser looks and checks that each one trusts it.
  On a terminal it asks; in a script give the answers as flags (--yes accepts the system proxy).
  --browsers-only leaves the operating system's own certificate store alone.`

// httpsExplained says what HTTPS filtering does and what it risks, in two
// sentences.
const httpsExplained = `HTTPS filtering lets Polaris send your signals, trim referrers and block trackers inside secure (https://) pages too, by having your browsers trust a certificate authority that Polaris made for this computer alone.
The risk: anyone who copies that authority's private key from this computer could pose as any website to these browsers, so Polaris keeps the key readable only by you, and you can remove the authority at any time.`

// setupAnswers are the user's choices, from flags or questions.
type setupAnswers struct {
	dnt, gpc, https, proxy string
}

func cmdSetup(e *Env, o Options, args []string) int {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	yes := fs.Bool("yes", false, "accept the system proxy without asking")
	var a setupAnswers
	fs.StringVar(&a.dnt, "dnt", "", "Do Not Track: 1 (do not track me), 0 (tracking allowed) or unset (send nothing)")
	fs.StringVar(&a.gpc, "gpc", "", "Global Privacy Control: on or off")
	fs.StringVar(&a.https, "https-filter", "", "filter HTTPS: yes or no")
	fs.StringVar(&a.proxy, "system-proxy", "", "make Polaris the system proxy: on or off")
	browsersOnly := fs.Bool("browsers-only", false, "leave the operating system's certificate store alone")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(e.Stderr, setupUsage)
		return ExitUsage
	}
	if msg := a.check(); msg != "" {
		fmt.Fprintf(e.Stderr, "polaris setup: %s\n%s\n", msg, setupUsage)
		return ExitUsage
	}
	ask := isTerminal(e.Stdin)
	if !ask {
		if msg := a.missing(*yes); msg != "" {
			fmt.Fprintf(e.Stderr, "polaris setup: %s\n", msg)
			return ExitUsage
		}
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	s := &setupRun{e: e, b: b, in: bufio.NewReader(e.Stdin), ask: ask, yes: *yes}
	return s.run(context.Background(), a, !*browsersOnly)
}

// check reports a flag with a value it does not take.
func (a setupAnswers) check() string {
	for _, f := range []struct{ name, v, allowed string }{
		{"--dnt", a.dnt, "1 0 unset"}, {"--gpc", a.gpc, "on off"},
		{"--https-filter", a.https, "yes no"}, {"--system-proxy", a.proxy, "on off"},
	} {
		if f.v != "" && !strings.Contains(" "+f.allowed+" ", " "+f.v+" ") {
			return fmt.Sprintf("%s takes %s, not %q", f.name, strings.ReplaceAll(f.allowed, " ", ", "), f.v)
		}
	}
	return ""
}

// missing says which choice a run without a terminal lacks: Do Not Track
// and HTTPS filtering are never chosen for the user.
func (a setupAnswers) missing(yes bool) string {
	switch {
	case a.dnt == "":
		return "choose your Do Not Track answer with --dnt 1 (ask sites not to track you), --dnt 0 (tell sites you allow tracking) or --dnt unset (send nothing); Polaris does not choose it for you"
	case a.https == "":
		return "choose whether Polaris filters HTTPS with --https-filter yes or --https-filter no.\n" + httpsExplained
	case a.proxy == "" && !yes:
		return "confirm with --yes (or --system-proxy on|off) that Polaris becomes the system proxy"
	}
	return ""
}

// setupRun is one run of the set-up.
type setupRun struct {
	e   *Env
	b   Backend
	in  *bufio.Reader
	ask bool // a terminal: questions are asked
	yes bool
}

func (s *setupRun) say(format string, args ...any) { fmt.Fprintf(s.e.Stdout, format+"\n", args...) }

// choose asks question until one of the options (lower case) is typed.
func (s *setupRun) choose(question string, options ...string) (string, error) {
	for {
		fmt.Fprintf(s.e.Stdout, "%s [%s] ", question, strings.Join(options, "/"))
		line, err := s.in.ReadString('\n')
		ans := strings.ToLower(strings.TrimSpace(line))
		for _, o := range options {
			if ans == o {
				return o, nil
			}
		}
		if err != nil {
			return "", fmt.Errorf("no answer: %w", err)
		}
		s.say("Please type one of: %s.", strings.Join(options, ", "))
	}
}

func (s *setupRun) run(ctx context.Context, a setupAnswers, system bool) int {
	s.say("Browsers on this computer:")
	found := s.b.FindBrowsers(ctx)
	if len(found) == 0 {
		s.say("  none found in this account (Polaris still works for any browser set to use it).")
	}
	for _, fb := range found {
		state := ""
		if fb.Running {
			state = " (open now)"
		}
		s.say("  %s%s: %s", fb.Name, state, profilesWords(fb.Profiles))
	}
	if err := s.answer(&a); err != nil {
		fmt.Fprintf(s.e.Stderr, "polaris setup: %v\n", err)
		return ExitUsage
	}
	filter := map[string]string{"yes": "on", "no": "off"}[a.https]
	for _, kv := range [][2]string{{"dnt", a.dnt}, {"gpc", a.gpc}, {"system.proxy", a.proxy}, {"https.filter", filter}} {
		if kv[1] == "" {
			continue
		}
		if err := s.b.Set(ctx, kv[0], kv[1]); err != nil {
			fmt.Fprintf(s.e.Stderr, "polaris setup: %v\n", oneLine(err))
			return ExitError
		}
	}
	cur := s.b.Settings()
	s.say("Saved: Do Not Track %s, Global Privacy Control %s, system proxy %s.", cur.Signals.DNT, onOff(cur.Signals.GPC), onOff(cur.System.SystemProxy))
	if err := s.b.MarkSetupSeen(ctx); err != nil {
		fmt.Fprintf(s.e.Stderr, "polaris setup: the window may offer the set-up again: %v\n", oneLine(err))
	}
	if a.https != "yes" {
		s.say("HTTPS filtering is off: secure pages pass through Polaris untouched, without your signals.")
		return ExitOK
	}
	return s.installCA(ctx, system)
}

// answer fills what the flags left open by asking, on a terminal.
func (s *setupRun) answer(a *setupAnswers) error {
	var err error
	if a.dnt == "" {
		s.say("\nDo Not Track: what should your browsers tell the sites you visit?\n  1      ask sites not to track you (DNT: 1)\n  0      tell sites you allow tracking (DNT: 0)\n  unset  send nothing")
		if a.dnt, err = s.choose("Your choice:", "1", "0", "unset"); err != nil {
			return err
		}
	}
	if a.gpc == "" && s.ask {
		s.say("\nGlobal Privacy Control tells sites not to sell or share your data (a legal request in some places).")
		if a.gpc, err = s.choose("Send it?", "on", "off"); err != nil {
			return err
		}
	}
	if a.proxy == "" {
		if s.yes {
			a.proxy = "on"
		} else {
			s.say("\nPolaris becomes this computer's proxy, so that browsers send their traffic through it (undone when you quit Polaris or turn it off).")
			if a.proxy, err = s.choose("Make Polaris the system proxy?", "on", "off"); err != nil {
				return err
			}
		}
	}
	if a.https == "" {
		s.say("\n%s", httpsExplained)
		if a.https, err = s.choose("Filter HTTPS?", "yes", "no"); err != nil {
			return err
		}
	}
	return nil
}

// installCA installs the CA where each browser looks and checks each one.
func (s *setupRun) installCA(ctx context.Context, system bool) int {
	prompt := false
	if system && os.Geteuid() != 0 {
		// The system store needs an administrator: on a terminal, with a
		// password prompt (pkexec); never a command to paste.
		system = false
		if s.ask && s.b.SystemPrompt() {
			ans, err := s.choose("\nAlso add it to the operating system's own store, used by programs other than browsers? An administrator's password is asked for.", "yes", "no")
			prompt = err == nil && ans == "yes"
			system = prompt
		}
		if !system {
			s.say("The operating system's own certificate store (used by programs other than browsers) was left alone: it needs an administrator's password. Browsers keep their own stores, handled below.")
		}
	}
	var report string
	var err error
	if prompt {
		report, err = s.b.InstallCAWithPassword(ctx)
	} else {
		report, err = s.b.InstallCATo(ctx, system)
	}
	if report != "" {
		s.say("\nCertificate authority:\n%s", indent(report))
	}
	if err != nil {
		fmt.Fprintf(s.e.Stderr, "polaris setup: %v\n", oneLine(err))
	}
	// Verify: read each store back.
	check, cerr := s.b.CATrust(ctx, system)
	trusted, missing := verifyLines(check)
	s.say("\nChecked each browser's store:")
	for _, l := range trusted {
		s.say("  trusts Polaris: %s", strings.TrimPrefix(l, "installed in "))
	}
	for _, l := range missing {
		s.say("  does NOT trust Polaris yet: %s", l)
	}
	if cerr != nil || err != nil || len(missing) > 0 || len(trusted) == 0 {
		s.say("Browsers that do not trust Polaris still work: Polaris lets their secure pages through untouched, without your signals.")
		return ExitError
	}
	s.say("Restart your browsers so that they read their certificate stores again.")
	return ExitOK
}

// verifyLines splits a CATrust report into the stores that hold the CA and
// those that do not.
func verifyLines(report string) (trusted, missing []string) {
	for _, l := range strings.Split(report, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, "installed in "):
			trusted = append(trusted, l)
		default:
			missing = append(missing, l)
		}
	}
	return trusted, missing
}

func profilesWords(p []string) string {
	switch len(p) {
	case 0:
		return "no profile yet"
	case 1:
		return "profile " + p[0]
	}
	return "profiles " + strings.Join(p, ", ")
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
