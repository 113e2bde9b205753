// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// ListsBackend is what `polaris lists` and `polaris stats` need.
type ListsBackend interface {
	// Lists returns the subscribed lists.
	Lists(ctx context.Context) ([]status.List, error)
	// Catalogue returns the well-known lists one can subscribe to.
	Catalogue() []status.CatalogueEntry
	// AddListSource subscribes to a URL, a catalogue id or a local file
	// (copied once), and returns the new list once it is loaded.
	AddListSource(ctx context.Context, source, name string) (status.List, error)
	// RemoveList unsubscribes and deletes the list's copy.
	RemoveList(ctx context.Context, id int64) error
	// SetListEnabled switches a list on or off.
	SetListEnabled(ctx context.Context, id int64, on bool) error
	// SetListInterval sets the update interval (0: off, 12h, 1, 4, 7 days).
	SetListInterval(ctx context.Context, id int64, every time.Duration) error
	// UpdateLists updates one list, or every enabled one for id 0.
	UpdateLists(ctx context.Context, id int64) error
	// UpdateListFromFile replaces a downloaded list's copy with a file
	// obtained another way (its server blocked or unreachable).
	UpdateListFromFile(ctx context.Context, id int64, path string) (status.List, error)
	// StatsReport returns the last days' counts, oldest first, and the
	// trackers blocked most over them.
	StatsReport(ctx context.Context, days int) ([]status.DayCount, []status.TrackerCount, error)
}

const listsUsage = `usage: polaris lists [show]
       polaris lists catalogue
       polaris lists add URL|FILE|CATALOGUE-ID [--name NAME]
       polaris lists remove ID
       polaris lists enable|disable ID
       polaris lists update [ID]
       polaris lists update ID --from FILE   (a copy you got another way, when the list's server is unreachable)
       polaris lists interval ID off|12h|1d|4d|7d`

func cmdLists(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, listsUsage)
		return ExitUsage
	}
	sub := "show"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	// Check the command line before opening anything.
	var id int64
	var every time.Duration
	var source, name, from string
	switch sub {
	case "show", "catalogue":
		if len(args) != 0 {
			return usage()
		}
	case "add":
		var ok bool
		if source, name, ok = parseAddArgs(args); !ok {
			return usage()
		}
	case "remove", "enable", "disable", "update", "interval":
		if sub == "update" && len(args) == 0 {
			break
		}
		if sub == "update" && len(args) == 3 && (args[1] == "--from" || args[1] == "-from") {
			from, args = args[2], args[:1]
		} else if sub == "update" && len(args) == 2 && strings.HasPrefix(args[1], "--from=") {
			from, args = strings.TrimPrefix(args[1], "--from="), args[:1]
		}
		want := 1
		if sub == "interval" {
			want = 2
		}
		if len(args) != want {
			return usage()
		}
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(e.Stderr, "polaris: %q is not a list ID (see `polaris lists`)\n", args[0])
			return ExitUsage
		}
		id = n
		if sub == "interval" {
			d, err := settings.ParseListInterval(args[1])
			if err != nil {
				fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
				return ExitUsage
			}
			every = d
		}
	default:
		return usage()
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitError
	}
	if sub != "show" && sub != "catalogue" {
		if err := b.Writable(); err != nil {
			return fail(err)
		}
	}
	switch sub {
	case "show":
		lists, err := b.Lists(ctx)
		if err != nil {
			return fail(err)
		}
		printLists(e.Stdout, lists, time.Now())
	case "catalogue":
		lists, _ := b.Lists(ctx)
		printCatalogue(e.Stdout, b.Catalogue(), lists)
	case "add":
		l, err := b.AddListSource(ctx, source, name)
		if errors.Is(err, status.ErrNotDownloaded) {
			// Its server could not be reached: the subscription stays.
			code := fail(err)
			fmt.Fprintf(e.Stderr, "polaris: list %d stays subscribed; Polaris downloads it when it runs and can reach the list's server (or: polaris lists update %d)\n", l.ID, l.ID)
			return code
		}
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(e.Stdout, "Added list %d: %s (%s rules, %s).\n", l.ID, l.Name, thousands(int64(l.Rules)), l.Format)
		if l.NonCommercial {
			fmt.Fprintln(e.Stdout, "Note: its licence forbids commercial use.")
		}
	case "remove":
		if err := b.RemoveList(ctx, id); err != nil {
			return fail(err)
		}
		fmt.Fprintf(e.Stdout, "Removed list %d.\n", id)
	case "enable", "disable":
		if err := b.SetListEnabled(ctx, id, sub == "enable"); err != nil {
			return fail(err)
		}
		fmt.Fprintf(e.Stdout, "List %d is %sd.\n", id, sub)
	case "interval":
		if err := b.SetListInterval(ctx, id, every); err != nil {
			return fail(err)
		}
		fmt.Fprintf(e.Stdout, "List %d updates %s.\n", id, describeEvery(every))
	case "update":
		if from != "" {
			l, err := b.UpdateListFromFile(ctx, id, from)
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(e.Stdout, "%d %s: updated from %s, %s rules\n", l.ID, l.Name, from, thousands(int64(l.Rules)))
			return ExitOK
		}
		err := b.UpdateLists(ctx, id)
		lists, _ := b.Lists(ctx)
		for _, l := range lists {
			if (id == 0 && l.Enabled && l.URL != "") || l.ID == id {
				state := "up to date, " + thousands(int64(l.Rules)) + " rules"
				if l.LastError != "" {
					state = "not updated: " + l.LastError
				}
				fmt.Fprintf(e.Stdout, "%d %s: %s\n", l.ID, l.Name, state)
			}
		}
		switch {
		case err != nil && id != 0:
			return fail(err)
		case err != nil:
			fmt.Fprintln(e.Stderr, "polaris: some lists could not be updated; Polaris keeps their previous copies")
			return ExitError
		}
	}
	return ExitOK
}

// parseAddArgs reads "SOURCE [--name NAME]" in any order.
func parseAddArgs(args []string) (source, name string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--name" || a == "-name":
			if i+1 >= len(args) {
				return "", "", false
			}
			i++
			name = args[i]
		case strings.HasPrefix(a, "--name="):
			name = strings.TrimPrefix(a, "--name=")
		case source == "":
			source = a
		default:
			return "", "", false
		}
	}
	return source, name, source != ""
}

func describeEvery(d time.Duration) string {
	switch {
	case d == 0:
		return "only when you ask (automatic updates off)"
	case d%(24*time.Hour) == 0 && d/(24*time.Hour) == 1:
		return "every day"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("every %d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("every %d hours", d/time.Hour)
}

func shortEvery(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return fmt.Sprintf("%dh", d/time.Hour)
}

func printLists(w io.Writer, lists []status.List, now time.Time) {
	if len(lists) == 0 {
		fmt.Fprintln(w, "No lists. Add one with `polaris lists add URL|FILE`, or see `polaris lists catalogue`.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tON\tRULES\tUPDATED\tEVERY\tNAME")
	var notes []string
	for _, l := range lists {
		on := "no"
		if l.Enabled {
			on = "yes"
		}
		rules := thousands(int64(l.Rules))
		updated := "never"
		switch {
		case l.Builtin:
			updated, rules = "built in", thousands(int64(l.Rules))
		case l.URL == "":
			updated = "copied " + ago(l.LastSuccess, now)
		case !l.LastSuccess.IsZero():
			updated = ago(l.LastSuccess, now)
		}
		if l.Rules == 0 && !l.Builtin {
			rules = "-"
		}
		name := l.Name
		if l.NonCommercial {
			name += " (non-commercial licence)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", l.ID, on, rules, updated, shortEvery(l.Interval), name)
		if l.LastError != "" {
			notes = append(notes, fmt.Sprintf("list %d: last update failed %s: %s", l.ID, ago(l.LastTry, now), l.LastError))
		} else if l.Enabled && l.URL != "" && l.Rules == 0 {
			notes = append(notes, fmt.Sprintf("list %d: not downloaded yet (Polaris downloads it when it runs, or: polaris lists update %d)", l.ID, l.ID))
		}
		if l.Errors > 0 {
			notes = append(notes, fmt.Sprintf("list %d: %d lines skipped (not understood)", l.ID, l.Errors))
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

func printCatalogue(w io.Writer, cat []status.CatalogueEntry, subscribed []status.List) {
	have := map[string]bool{}
	for _, l := range subscribed {
		have[l.Catalogue] = true
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUBSCRIBED\tCATEGORY\tLICENCE\tNAME")
	for _, c := range cat {
		sub := "no"
		if have[c.ID] {
			sub = "yes"
		}
		cat := c.Category
		if cat == "" {
			cat = "per rule"
		}
		lic := c.License
		if c.NonCommercial {
			lic += " (non-commercial)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, sub, cat, lic, c.Name)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nSubscribe with `polaris lists add ID`. Lists marked non-commercial may only be used for personal, non-commercial purposes.")
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// thousands formats n with thousands separators: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func cmdStats(e *Env, o Options, args []string) int {
	days := 30
	switch {
	case len(args) == 0:
	case len(args) == 2 && args[0] == "--days":
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > 3650 {
			fmt.Fprintln(e.Stderr, "polaris: --days wants a number from 1 to 3650")
			return ExitUsage
		}
		days = n
	default:
		fmt.Fprintln(e.Stderr, "usage: polaris stats [--days N]")
		return ExitUsage
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	counts, top, err := b.StatsReport(context.Background(), days)
	if err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitError
	}
	printStats(e.Stdout, counts, top, days, b.RunningElsewhere(), b.Settings().HTTPS.Filter)
	return ExitOK
}

func printStats(w io.Writer, counts []status.DayCount, top []status.TrackerCount, days int, running, filtering bool) {
	if len(counts) == 0 {
		return
	}
	today := counts[len(counts)-1]
	fmt.Fprintf(w, "Today (%s): %s of %s requests blocked%s\n", today.Day.Format("Mon 2 Jan 2006"),
		thousands(today.Total), thousands(today.Requests), percent(today.Total, today.Requests))
	if line := categoryLine(today.ByCategory); line != "" {
		fmt.Fprintf(w, "  %s\n", line)
	}
	var total, reqs int64
	sum := map[string]int64{}
	for _, d := range counts {
		total += d.Total
		reqs += d.Requests
		for k, n := range d.ByCategory {
			sum[k] += n
		}
	}
	fmt.Fprintf(w, "\nLast %d days: %s of %s requests blocked%s\n", days, thousands(total), thousands(reqs), percent(total, reqs))
	if line := categoryLine(sum); line != "" {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if reqs > 0 || total > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\nday\tblocked\trequests\t")
		for _, d := range counts {
			if d.Total == 0 && d.Requests == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", d.Day.Format("2006-01-02"), thousands(d.Total), thousands(d.Requests))
		}
		tw.Flush()
	}
	if len(top) > 0 {
		fmt.Fprintf(w, "\nTrackers blocked most over the last %d days:\n", days)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, t := range top {
			fmt.Fprintf(tw, "  %s\t%s\n", t.Domain, thousands(t.Blocked))
		}
		tw.Flush()
	} else if total > 0 {
		fmt.Fprintln(w, "\nNo tracker domain kept: Polaris keeps one only when it saw which site loaded the tracker.")
		if filtering {
			fmt.Fprintln(w, "None of the blocked requests said so (a tunnel to a tracker that Polaris refused before seeing inside it says")
			fmt.Fprintln(w, "only its host, e.g. for sites excluded from HTTPS filtering).")
		} else {
			fmt.Fprintln(w, "For HTTPS that needs HTTPS filtering (`polaris config set https.filter on`).")
		}
	}
	if running {
		fmt.Fprintln(w, "\n(The running Polaris writes its counts every 30 seconds.)")
	}
}

func percent(n, of int64) string {
	if of == 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1f%%)", float64(n)*100/float64(of))
}

// categoryLine lists blocked counts by category in display order.
func categoryLine(m map[string]int64) string {
	var parts []string
	for _, c := range settings.Categories {
		if n := m[string(c)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", c, thousands(n)))
		}
	}
	if n := m[""]; n > 0 {
		parts = append(parts, fmt.Sprintf("uncategorised %s", thousands(n)))
	}
	return strings.Join(parts, ", ")
}
