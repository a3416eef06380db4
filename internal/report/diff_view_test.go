package report

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiff(t *testing.T) {
	a, b := sampleReport(), nextRun()
	d := Diff(a, b)
	want := DiffTotals{Objects: 7, Users: 5, Groups: 2, Added: 1, Removed: 1, ResultChanged: 1, ChangesDiffer: 1, SkipChanged: 2}
	if d.Totals != want {
		t.Fatalf("totals %+v, want %+v", d.Totals, want)
	}
	byName := map[string]ObjectDiff{}
	for _, o := range d.Objects {
		byName[o.Name] = o
	}
	if o := byName["Dan"]; len(o.Added) != 1 || o.Added[0].Action != CreateUser {
		t.Fatalf("Dan: %+v", o)
	}
	if o := byName["Bob"]; len(o.Removed) != 1 || o.Removed[0].Group != "Engineering" {
		t.Fatalf("Bob: %+v", o)
	}
	if o := byName[evilName]; len(o.Changed) != 1 || !o.Changed[0].ResultChanged || o.Changed[0].ResultB != ResultSucceeded {
		t.Fatalf("Mallory: %+v", o)
	}
	if o := byName["Engineering"]; o.MembersRemoved != 1 || o.Type != "group" {
		t.Fatalf("group: %+v", o)
	}
	if o := byName["Carol"]; o.SkipA != "unverified_domain" || o.SkipB != "disabled" {
		t.Fatalf("Carol: %+v", o)
	}
	if d := Diff(a, sampleReport()); d.Totals != (DiffTotals{}) || len(d.Objects) != 0 {
		t.Fatalf("identical runs differ: %+v", d.Totals)
	}
}

func TestViewPagesAndFilters(t *testing.T) {
	r := genInMemory(t, 1000, 5000, 50)
	v := NewView(r, nil)
	s := v.Summary()
	if s.Operations != 6050 || s.Failed != 11 || s.Skips != 10 {
		t.Fatalf("summary %+v", s)
	}
	p := v.Operations(Query{Results: []Result{ResultFailed}})
	if p.Total != 11 || len(p.Rows) != 11 || p.Rows[0].Object.Name != "User 000000" {
		t.Fatalf("failed page: %d %d", p.Total, len(p.Rows))
	}
	p = v.Operations(Query{Text: "USER000042@ group", Actions: []Action{AddMember}, Offset: 2, Limit: 2})
	if p.Total != 5 || len(p.Rows) != 2 || p.Index[0] != p.Rows[0].Seq-1 {
		t.Fatalf("search page: total %d rows %d", p.Total, len(p.Rows))
	}
	if op, ok := v.Operation(p.Index[1]); !ok || op.Seq != p.Rows[1].Seq {
		t.Fatal("detail by index")
	}
	sp := v.Skips(Query{Text: "guest 00003", Limit: 5000})
	if sp.Total != 1 || sp.Rows[0].Reason != "unverified_domain" {
		t.Fatalf("skips %+v", sp)
	}
	if p := v.Operations(Query{Limit: 1 << 20}); len(p.Rows) != 1000 {
		t.Fatalf("limit not capped: %d", len(p.Rows))
	}
}

func TestSummarizeFileAndDiffPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json.gz")
	r := sampleReport()
	r.Counts = nil
	f, _ := os.Create(path)
	if err := Write(f, r, WriteOptions{Gzip: true}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err := SummarizeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Operations != 6 || s.Failed != 1 || s.Skips != 2 || s.Source.Format != FormatGzip || len(s.Counts) != 6 || s.Tenant.Name != "Contoso Ltd" {
		t.Fatalf("summary %+v", s)
	}
	d := Diff(sampleReport(), nextRun())
	p := d.Page(Query{ObjectTypes: []string{"user"}, Limit: 2, Offset: 1})
	if p.Total != 5 || len(p.Objects) != 2 || p.Objects[0].Name != "Bob" {
		t.Fatalf("diff page %+v", p)
	}
	if p := d.Page(Query{Text: "CAROL@"}); p.Total != 1 {
		t.Fatalf("diff search %+v", p)
	}
}
