package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/idpsync/idpsync/internal/procstat"
)

// The 100,000-user benchmark: 100,000 user creations, 1,000,000 membership additions over 5,000
// groups (chains two deep), 1,000 skips, written and loaded in every format. Run with
//
//	go test ./internal/report -run '^$' -bench Report100k -benchmem -benchtime 1x
//
// Besides time and allocations it reports the file size (MB) and the process's peak resident
// memory during the step (peak-RSS-MB, from VmHWM after resetting it through /proc/self/clear_refs).

const (
	benchUsers   = 100000
	benchMembers = 1000000
	benchGroups  = 5000
)

type benchData struct {
	users  []ObjectRef
	groups []ObjectRef
	chains [][]string
}

func newBenchData() *benchData {
	d := &benchData{users: make([]ObjectRef, benchUsers), groups: make([]ObjectRef, benchGroups), chains: make([][]string, benchGroups)}
	for i := range d.users {
		d.users[i] = ObjectRef{Type: "user", Name: fmt.Sprintf("User %06d", i), Email: fmt.Sprintf("user%06d@contoso.com", i),
			EntraID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i), AtlassianID: fmt.Sprintf("5b10ac8d82e05b22cc7d%06d", i)}
	}
	for i := range d.groups {
		d.groups[i] = ObjectRef{Type: "group", Name: fmt.Sprintf("Group %05d", i), EntraID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			AtlassianID: fmt.Sprintf("e1f2a3b4-0000-4000-8000-%012d", i)}
	}
	for i := range d.chains {
		d.chains[i] = []string{d.groups[i].Name, d.groups[(i+1)%benchGroups].Name}
	}
	return d
}

// each streams the benchmark run to the callbacks without holding it.
func (d *benchData) each(op func(*Operation) error, sk func(*Skip) error) error {
	var o Operation
	seq := 0
	for i := range d.groups {
		seq++
		o = Operation{Seq: seq, Action: CreateGroup, Object: d.groups[i], Result: ResultSucceeded}
		if err := op(&o); err != nil {
			return err
		}
	}
	changes := []Change{{Attribute: "active", Old: "", New: "true"}, {Attribute: "department", Old: "", New: "Research"}}
	for i := range d.users {
		seq++
		o = Operation{Seq: seq, Action: CreateUser, Object: d.users[i], Changes: changes, Result: ResultSucceeded}
		if i%97 == 0 {
			o.Result, o.Code, o.Message = ResultFailed, "atlassian_rejected", "400: userName already used"
		}
		if err := op(&o); err != nil {
			return err
		}
	}
	per := benchMembers / benchUsers
	for i := range d.users {
		for k := 0; k < per; k++ {
			seq++
			g := (i*7 + k*499) % benchGroups
			o = Operation{Seq: seq, Action: AddMember, Object: d.users[i], Group: &d.groups[g], Chain: d.chains[g], Result: ResultSucceeded}
			if err := op(&o); err != nil {
				return err
			}
		}
	}
	for i := 0; i < 1000; i++ {
		s := Skip{Object: ObjectRef{Type: "user", Name: "Guest " + strconv.Itoa(i), Email: "guest" + strconv.Itoa(i) + "@partner.example",
			EntraID: fmt.Sprintf("20000000-0000-4000-8000-%012d", i)}, Reason: "unverified_domain"}
		if err := sk(&s); err != nil {
			return err
		}
	}
	return nil
}

// resetPeak frees what the previous step held and restarts the kernel's peak-RSS counter.
func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	procstat.ResetPeakRSS()
}

// cpuSeconds is the process's user+system CPU time: on a shared machine it moves far less than
// the wall time, so both are reported.
func cpuSeconds() float64 { return procstat.CPUTime().Seconds() }

// measure runs the step b.N times and reports its CPU time and peak RSS.
func measure(b *testing.B, step func() error) {
	resetPeak()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}

func peakRSSMB() float64 { return float64(procstat.PeakRSS()) / (1 << 20) }

func fileMB(b *testing.B, path string) float64 {
	var total int64
	filepath.Walk(path, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
		}
		return nil
	})
	return float64(total) / (1 << 20)
}

func BenchmarkReport100k(b *testing.B) {
	d := newBenchData()
	dir := b.TempDir()
	hdr := genHeader()
	hdr.Errors = nil
	paths := map[string]string{
		"json": filepath.Join(dir, "r.json"), "gzip": filepath.Join(dir, "r.json.gz"),
		"html": filepath.Join(dir, "r.html"), "csv": filepath.Join(dir, "csv"),
	}
	write := func(format string) error {
		opts := ExportOptions{Format: format, Out: paths[format]}
		if format == "gzip" {
			opts.Format, opts.Gzip = "json", true
		}
		o := &output{}
		s, err := opts.open(o, hdr, nil)
		if err != nil {
			return err
		}
		if err := d.each(s.WriteOperation, s.WriteSkip); err != nil {
			return err
		}
		if err := s.Close(hdr); err != nil {
			return err
		}
		_, err = o.commit()
		return err
	}
	for _, format := range []string{"json", "gzip", "html", "csv"} {
		b.Run("write/"+format, func(b *testing.B) {
			measure(b, func() error { return write(format) })
			b.ReportMetric(fileMB(b, paths[format]), "MB")
		})
	}
	ensure := func(b *testing.B, format string) {
		if _, err := os.Stat(paths[format]); err != nil {
			if err := write(format); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, format := range []string{"json", "gzip", "html"} {
		b.Run("stream/"+format, func(b *testing.B) {
			ensure(b, format)
			measure(b, func() error {
				n := 0
				_, _, err := DecodeFile(paths[format], DefaultLimits, Visitor{Operation: func(*Operation) error { n++; return nil }})
				if err == nil && n != benchGroups+benchUsers+benchMembers {
					err = fmt.Errorf("%d operations", n)
				}
				return err
			})
		})
		b.Run("load/"+format, func(b *testing.B) {
			ensure(b, format)
			measure(b, func() error {
				l, err := LoadFile(paths[format])
				if err == nil && len(l.Report.Operations) != benchGroups+benchUsers+benchMembers {
					err = fmt.Errorf("%d operations", len(l.Report.Operations))
				}
				return err
			})
		})
	}
	loadJSON := func(b *testing.B) *Loaded {
		ensure(b, "json")
		l, err := LoadFile(paths["json"])
		if err != nil {
			b.Fatal(err)
		}
		return l
	}
	b.Run("diff", func(b *testing.B) {
		l := loadJSON(b)
		measure(b, func() error {
			if d := Diff(l.Report, l.Report); d.Totals.Objects != 0 {
				return fmt.Errorf("a report differs from itself: %+v", d.Totals)
			}
			return nil
		})
	})
	b.Run("view-search", func(b *testing.B) {
		l := loadJSON(b)
		v := NewView(l.Report, &l.Info)
		v.Operations(Query{Text: "warm"})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p := v.Operations(Query{Text: "user004242@", Limit: 50})
			if p.Total != 11 {
				b.Fatal(p.Total)
			}
		}
	})
}
