// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"polaris/internal/status"
)

// HTTPSBackend is what `polaris ca` and `polaris sites` need.
type HTTPSBackend interface {
	// CACertificate returns the CA certificate (PEM, or DER), generating
	// the CA if there is none yet.
	CACertificate(der bool) ([]byte, error)
	// ExportCA writes the CA certificate to a file.
	ExportCA(path string, der bool) error
	// InstallCATo adds the CA to the browsers' trust stores and, with
	// system, the operating system's; the report says what changed.
	InstallCATo(ctx context.Context, system bool) (report string, err error)
	// UninstallCAFrom removes what InstallCATo added.
	UninstallCAFrom(ctx context.Context, system bool) (report string, err error)
	// CATrust reports which trust stores hold the CA, changing nothing.
	CATrust(ctx context.Context, system bool) (report string, err error)
	// RegenerateCA replaces the CA (removing the old one from trust stores).
	RegenerateCA(ctx context.Context) error
	// CAStatus describes the CA; Present is false when there is none.
	CAStatus() status.CA
	// PassThroughHosts are hosts passed through because they pin.
	PassThroughHosts(ctx context.Context) ([]string, error)
	// ForgetPassThrough forgets one ("" all) and says how many.
	ForgetPassThrough(ctx context.Context, host string) (int64, error)
	// SiteAnswers returns what sites answered about DNT and GPC.
	SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error)
}

const caUsage = `usage:
  polaris ca status [--browsers-only]     the certificate authority and where it is trusted
  polaris ca export [--der] [FILE]        write the CA certificate (PEM, or DER) to FILE or standard output
  polaris ca install [--browsers-only]    trust it in Firefox, Chrome/Chromium and the system store
  polaris ca uninstall [--browsers-only]  remove exactly what install added
  polaris ca regenerate                   replace it with a new one (the old one is removed from trust stores)
  polaris ca forget HOST|--all            look inside a host again that was passed through for pinning`

func cmdCA(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, caUsage)
		return ExitUsage
	}
	if len(args) == 0 {
		return usage()
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("ca "+sub, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	der := fs.Bool("der", false, "DER instead of PEM")
	browsersOnly := fs.Bool("browsers-only", false, "leave the operating system's store alone")
	all := fs.Bool("all", false, "every host")
	if err := fs.Parse(rest); err != nil {
		return usage()
	}
	pos := fs.Args()
	switch {
	case sub == "export" && len(pos) <= 1:
	case sub == "forget" && (len(pos) == 1) != *all:
	case (sub == "status" || sub == "install" || sub == "uninstall" || sub == "regenerate") && len(pos) == 0:
	default:
		return usage()
	}
	if sub == "export" && len(pos) == 0 && *der && isTerminal(e.Stdout) {
		fmt.Fprintln(e.Stderr, "polaris: a DER certificate is binary; give a FILE, or redirect the output")
		return ExitUsage
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	ctx := context.Background()
	switch sub {
	case "status":
		return caStatus(e, b, ctx, !*browsersOnly)
	case "export":
		if len(pos) == 0 {
			data, err := b.CACertificate(*der)
			if err != nil {
				return fail(e, err)
			}
			e.Stdout.Write(data)
			return ExitOK
		}
		if err := b.ExportCA(pos[0], *der); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stdout, "Polaris's CA certificate is in %s (SHA-256 %s).\n", pos[0], colonFingerprint(b.CAStatus().Fingerprint))
		return ExitOK
	case "install", "uninstall":
		var report string
		var err error
		if sub == "install" {
			report, err = b.InstallCATo(ctx, !*browsersOnly)
		} else {
			report, err = b.UninstallCAFrom(ctx, !*browsersOnly)
		}
		if report != "" {
			fmt.Fprintln(e.Stdout, report)
		}
		if err != nil {
			return fail(e, err)
		}
		if sub == "install" && !b.Settings().HTTPS.Filter {
			fmt.Fprintln(e.Stdout, "HTTPS filtering is off; turn it on with: polaris config set https.filter on")
		}
		return ExitOK
	case "regenerate":
		if err := b.RegenerateCA(ctx); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stdout, "Polaris has a new certificate authority (SHA-256 %s).\nThe old one is removed from the trust stores it was in; install the new one with: polaris ca install\n",
			colonFingerprint(b.CAStatus().Fingerprint))
		return ExitOK
	case "forget":
		host := ""
		if !*all {
			host = strings.ToLower(pos[0])
		}
		n, err := b.ForgetPassThrough(ctx, host)
		if err != nil {
			return fail(e, err)
		}
		switch {
		case n == 0 && host != "":
			fmt.Fprintf(e.Stdout, "%s was not passed through.\n", host)
		default:
			fmt.Fprintf(e.Stdout, "Forgot %d host(s); HTTPS filtering looks inside them again.\n", n)
		}
		return ExitOK
	}
	return usage()
}

func caStatus(e *Env, b Backend, ctx context.Context, system bool) int {
	st := b.CAStatus()
	s := b.Settings()
	if !st.Present {
		fmt.Fprintln(e.Stdout, "No certificate authority yet: Polaris makes one when HTTPS filtering is turned on (polaris config set https.filter on) or with polaris ca install.")
	} else {
		fmt.Fprintf(e.Stdout, "certificate authority: %s\n", st.Subject)
		fmt.Fprintf(e.Stdout, "SHA-256 fingerprint:   %s\n", colonFingerprint(st.Fingerprint))
		fmt.Fprintf(e.Stdout, "valid until:           %s\n", st.NotAfter.Local().Format("2006-01-02"))
	}
	fmt.Fprintf(e.Stdout, "HTTPS filtering:       %s\n", onOff(s.HTTPS.Filter))
	if st.Present {
		report, err := b.CATrust(ctx, system)
		if report == "" && err == nil {
			fmt.Fprintln(e.Stdout, "trust stores:          no browser profile found")
		}
		if report != "" {
			fmt.Fprintln(e.Stdout, "trust stores:")
			for _, l := range strings.Split(report, "\n") {
				fmt.Fprintf(e.Stdout, "  %s\n", l)
			}
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		}
	}
	hosts, err := b.PassThroughHosts(ctx)
	if err != nil {
		return fail(e, err)
	}
	if len(hosts) > 0 {
		fmt.Fprintf(e.Stdout, "passed through (they refused Polaris's certificate): %s\n", strings.Join(hosts, ", "))
	}
	return ExitOK
}

func cmdSites(e *Env, o Options, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(e.Stderr, "usage: polaris sites")
		return ExitUsage
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	answers, err := b.SiteAnswers(context.Background())
	if err != nil {
		return fail(e, err)
	}
	if len(answers) == 0 {
		fmt.Fprintln(e.Stdout, "No site has answered yet. Polaris records what the sites you visit publish about Do Not Track and Global Privacy Control")
		if !b.Settings().Signals.CheckSites {
			fmt.Fprintln(e.Stdout, "once signals.check-sites is on (polaris config set signals.check-sites on).")
		} else {
			fmt.Fprintln(e.Stdout, "(HTTPS sites only with HTTPS filtering on).")
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tHONOURS DNT\tHONOURS GPC\tTRACKING STATUS\tEFF POLICY\tTK\tCHECKED")
	for _, a := range answers {
		checked := "-"
		if !a.Checked.IsZero() {
			checked = a.Checked.Local().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Site, yesNo(a.HonorsDNT), yesNo(a.HonorsGPC),
			dashIfEmpty(trackingWords[a.TrackingStatus]), yesNo(a.EFFPolicy), dashIfEmpty(a.Tk), checked)
	}
	tw.Flush()
	return ExitOK
}

// trackingWords says what a tracking status value means (W3C Tracking
// Preference Expression).
var trackingWords = map[string]string{
	"!": "! (under construction)", "?": "? (dynamic)", "G": "G (gateway)", "N": "N (not tracking)",
	"T": "T (tracking)", "C": "C (tracking with consent)", "P": "P (potential consent)",
	"D": "D (disregarding DNT)", "U": "U (updated)",
}

func fail(e *Env, err error) int {
	fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
	return ExitError
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// colonFingerprint shows a hex fingerprint as certificate viewers do.
func colonFingerprint(fp string) string {
	if fp == "" {
		return "-"
	}
	var b strings.Builder
	for i := 0; i+1 < len(fp); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(fp[i : i+2]))
	}
	return b.String()
}
