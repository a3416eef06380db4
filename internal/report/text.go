package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// termSafe makes a report value safe to print on a terminal: control characters (an ESC sequence
// in a crafted name could rewrite the screen) are shown as U+FFFD.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return '\uFFFD'
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return termSafe(s)
}

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// WriteSummaryText prints the summary for a terminal.
func WriteSummaryText(w io.Writer, s Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	kind := "preview"
	if s.Kind == KindApply {
		kind = "apply"
	}
	p("Run", orDash(s.RunID)+" ("+kind+", "+orDash(StatusWords(s.Status))+")")
	p("App version", orDash(s.AppVersion))
	p("Tenant", orDash(s.Tenant.Name)+"  "+orDash(s.Tenant.ID)+"  "+termSafe(s.Tenant.InitialDomain))
	p("Directory", orDash(s.Directory.Name)+"  "+termSafe(s.Directory.ID))
	conf := orDash(strings.Join(s.Confirmed.Domains, ", "))
	if s.Confirmed.Account != "" {
		conf += " by " + termSafe(s.Confirmed.Account)
	}
	if !s.Confirmed.At.IsZero() {
		conf += " at " + fmtWhen(s.Confirmed.At)
	}
	if s.Confirmed.Automatic {
		conf += " (standing confirmation)"
	}
	p("Confirmed domains", conf)
	p("Settings", settingsWords(s.Settings))
	p("Started", fmtWhen(s.Started))
	p("Ended", fmtWhen(s.Ended))
	p("Duration", s.DurationNs.Round(time.Millisecond).String())
	for _, ph := range s.Phases {
		extra := ""
		if ph.Requests > 0 {
			extra = fmt.Sprintf(" (%d requests)", ph.Requests)
		}
		p("  "+termSafe(strings.ReplaceAll(ph.Name, "_", " ")), ph.Duration.Round(time.Millisecond).String()+extra)
	}
	p("Operations", fmt.Sprintf("%d (%d failed)", s.Operations, s.Failed))
	p("Left out of scope", fmt.Sprint(s.Skips))
	if s.Pseudonymized {
		p("Pseudonymized", "yes: names and emails are pseudonyms")
	}
	if s.Source != nil {
		p("File", fmt.Sprintf("%s, %d bytes of JSON", s.Source.Format, s.Source.Bytes))
		for _, w := range s.Source.Warnings {
			p("Warning", termSafe(w))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Counts) > 0 {
		fmt.Fprintln(w, "\nChanges:")
		if err := WriteCountsWords(w, s.Counts); err != nil {
			return err
		}
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "error [%s]: %s\n", termSafe(e.Code), termSafe(e.Message))
	}
	return nil
}

func opLine(d DiffOp) string {
	s := string(d.Action)
	if d.Group != "" {
		s += " " + termSafe(d.Group)
	}
	s += " (" + string(d.Result)
	if d.Code != "" {
		s += " " + termSafe(d.Code)
	}
	s += ")"
	if len(d.Changes) > 0 {
		s += ": " + termSafe(FormatChanges(d.Changes))
	}
	return s
}

// WriteDiffText prints a comparison for a terminal, at most limit objects (0: all).
func WriteDiffText(w io.Writer, d *ReportDiff, limit int) error {
	fmt.Fprintf(w, "A: %s (%s, %s, %s) %d operations\n", orDash(d.A.RunID), d.A.Kind, d.A.Status, fmtWhen(d.A.Started), d.A.Operations)
	fmt.Fprintf(w, "B: %s (%s, %s, %s) %d operations\n", orDash(d.B.RunID), d.B.Kind, d.B.Status, fmtWhen(d.B.Started), d.B.Operations)
	if !d.SameTenant {
		fmt.Fprintf(w, "note: different tenants (%s vs %s)\n", orDash(d.A.TenantID), orDash(d.B.TenantID))
	}
	t := d.Totals
	fmt.Fprintf(w, "%d objects differ (%d users, %d groups): %d operations new in B, %d gone, %d results changed, %d attribute changes differ, %d scope changes\n",
		t.Objects, t.Users, t.Groups, t.Added, t.Removed, t.ResultChanged, t.ChangesDiffer, t.SkipChanged)
	for i, o := range d.Objects {
		if limit > 0 && i >= limit {
			fmt.Fprintf(w, "… %d more objects (use --limit 0 or --json)\n", len(d.Objects)-limit)
			break
		}
		id := o.Email
		if id == "" {
			id = o.EntraID
		}
		fmt.Fprintf(w, "\n%s %s <%s>\n", o.Type, orDash(o.Name), termSafe(id))
		for _, a := range o.Added {
			fmt.Fprintf(w, "  + %s\n", opLine(a))
		}
		for _, r := range o.Removed {
			fmt.Fprintf(w, "  - %s\n", opLine(r))
		}
		for _, c := range o.Changed {
			g := ""
			if c.Group != "" {
				g = " " + termSafe(c.Group)
			}
			fmt.Fprintf(w, "  ~ %s%s: %s → %s", c.Action, g, withCode(c.ResultA, c.CodeA), withCode(c.ResultB, c.CodeB))
			if c.ChangesDiffer {
				fmt.Fprintf(w, "; changes %q → %q", FormatChanges(c.ChangesA), FormatChanges(c.ChangesB))
			}
			fmt.Fprintln(w)
		}
		if o.SkipA != o.SkipB {
			fmt.Fprintf(w, "  scope: %s → %s\n", orDash(o.SkipA), orDash(o.SkipB))
		}
		if o.MembersAdded+o.MembersRemoved+o.MembersChanged > 0 {
			fmt.Fprintf(w, "  memberships: %d new, %d gone, %d changed\n", o.MembersAdded, o.MembersRemoved, o.MembersChanged)
		}
	}
	return nil
}

func withCode(r Result, code string) string {
	if code == "" {
		return string(r)
	}
	return string(r) + " " + termSafe(code)
}
