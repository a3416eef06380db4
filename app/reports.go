package app

import (
	"path/filepath"
	"strconv"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/report"
)

// ReportService serves the report view: a run's report or a report file opened from disk (JSON,
// gzip or the app's HTML export), browsed page by page, compared with another, and exported.
type ReportService struct {
	env  *env
	core *core

	mu    sync.Mutex
	seq   int
	open  map[string]*openReport
	order []string // oldest first, to bound what stays in memory
}

// openReport is a loaded report; mu orders the calls that read the view outside its own turns
// (detail, compare) with its Close.
type openReport struct {
	mu   sync.Mutex
	path string
	view *report.View
}

// maxOpenReports bounds the reports open at once (each pages from its own temporary file and
// holds a few bytes per entry): opening one more forgets the oldest, whose screen then asks to
// open it again.
const maxOpenReports = 4

// ReportHandle names an opened report for the calls that follow. ID is "" when the admin
// cancelled the file dialog.
type ReportHandle struct {
	ID      string         `json:"id"`
	Path    string         `json:"path"`
	Name    string         `json:"name"` // the file's base name
	Summary report.Summary `json:"summary"`
}

func (s *ReportService) remember(path string, v *report.View) ReportHandle {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[string]*openReport{}
	}
	s.seq++
	id := "r" + strconv.Itoa(s.seq)
	s.open[id] = &openReport{path: path, view: v}
	s.order = append(s.order, id)
	for len(s.order) > maxOpenReports {
		s.drop(s.order[0])
		s.order = s.order[1:]
	}
	return ReportHandle{ID: id, Path: path, Name: filepath.Base(path), Summary: v.Summary()}
}

// drop forgets an opened report and releases its temporary file, once no call is using it.
// Callers hold s.mu.
func (s *ReportService) drop(id string) {
	if r := s.open[id]; r != nil {
		delete(s.open, id)
		go func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.view.Close()
		}()
	}
}

func (s *ReportService) get(id string) (*openReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.open[id]
	if r == nil {
		return nil, apperr.New(apperr.NotFound, "this report is no longer open").WithAction("Open the report again.")
	}
	return r, nil
}

// OpenRun opens the report of a run from the history.
func (s *ReportService) OpenRun(runID string) (ReportHandle, error) {
	return with(s.core, "OpenRun", func(b *backend.Backend) (ReportHandle, error) {
		path, err := b.ReportPath(s.core.ctx, runID)
		if err != nil {
			return ReportHandle{}, err
		}
		return s.openPath(path)
	})
}

func (s *ReportService) openPath(path string) (ReportHandle, error) {
	v, err := report.OpenView(path)
	if err != nil {
		return ReportHandle{}, err
	}
	return s.remember(path, v), nil
}

var reportFilters = []FileFilter{{Name: "IdP Sync reports (*.json, *.json.gz, *.html)", Pattern: "*.json;*.json.gz;*.gz;*.html;*.htm"}}

// OpenFile asks for a report file and opens it; a cancelled dialog returns an empty handle.
func (s *ReportService) OpenFile() (ReportHandle, error) {
	return call("OpenFile", func() (ReportHandle, error) {
		path, err := s.env.OpenFile(FileDialog{Title: "Open a sync report", Filters: reportFilters})
		if err != nil || path == "" {
			return ReportHandle{}, err
		}
		return s.openPath(path)
	})
}

// Operations pages the report's operations (search, action, result and object type filters).
// A search typed further supersedes this one: it then answers apperr.Canceled (NewestOperations).
func (s *ReportService) Operations(id string, q report.Query) (report.OperationPage, error) {
	return paged(s, "Operations", id, func(v *report.View) (report.OperationPage, error) { return v.NewestOperations(q) })
}

// Skips pages the objects the run left out of scope, with the reasons, superseded likewise.
func (s *ReportService) Skips(id string, q report.Query) (report.SkipPage, error) {
	return paged(s, "Skips", id, func(v *report.View) (report.SkipPage, error) { return v.NewestSkips(q) })
}

// paged reads a page of the opened report id. Not under r.mu: the view takes turns itself and
// must see a newer query arrive while an older one runs, to stop that one.
func paged[T any](s *ReportService, name, id string, page func(*report.View) (T, error)) (T, error) {
	return call(name, func() (T, error) {
		r, err := s.get(id)
		if err != nil {
			var none T
			return none, err
		}
		return page(r.view)
	})
}

// Forget drops an opened report from memory.
func (s *ReportService) Forget(id string) (Done, error) {
	return call("Forget", func() (Done, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.drop(id)
		for i, x := range s.order {
			if x == id {
				s.order = append(s.order[:i], s.order[i+1:]...)
				break
			}
		}
		return Done{OK: true}, nil
	})
}

// maxDiffObjects bounds the objects a comparison sends to the screen; the totals count all.
const maxDiffObjects = 5000

// Comparison is a report diff for the screen.
type Comparison struct {
	Diff      *report.ReportDiff `json:"diff"`
	Truncated bool               `json:"truncated"` // more objects differ than Diff.Objects lists
}

// Compare compares report a (older) with report b (newer): per user and group, what changed.
func (s *ReportService) Compare(a, b string) (Comparison, error) {
	return call("Compare", func() (Comparison, error) {
		ra, err := s.get(a)
		if err != nil {
			return Comparison{}, err
		}
		rb, err := s.get(b)
		if err != nil {
			return Comparison{}, err
		}
		if ra == rb {
			return Comparison{}, apperr.New(apperr.InvalidInput, "a report cannot be compared with itself").WithAction("Choose two different reports.")
		}
		ra.mu.Lock()
		rb.mu.Lock()
		d, err := report.DiffViews(ra.view, rb.view)
		rb.mu.Unlock()
		ra.mu.Unlock()
		if err != nil {
			return Comparison{}, err
		}
		c := Comparison{Diff: d}
		if len(d.Objects) > maxDiffObjects {
			d.Objects, c.Truncated = d.Objects[:maxDiffObjects], true
		}
		return c, nil
	})
}

// ExportRequest says how to export an opened report.
type ExportRequest struct {
	Format       string `json:"format"` // html | csv | json
	Gzip         bool   `json:"gzip"`   // json only
	Pseudonymize bool   `json:"pseudonymize"`
	KeepDomains  bool   `json:"keepDomains"`
}

// ExportResult lists the files written; empty when the admin cancelled the save dialog.
type ExportResult struct {
	Files []string `json:"files"`
}

// Export asks where to save and writes the report in the chosen format. CSV asks for a folder
// (the save dialog made a folder of the file name typed into it) and writes operations.csv and
// skips.csv into the folder the admin chose or created.
func (s *ReportService) Export(id string, req ExportRequest) (ExportResult, error) {
	return call("Export", func() (ExportResult, error) {
		r, err := s.get(id)
		if err != nil {
			return ExportResult{}, err
		}
		def := filepath.Base(report.DefaultOut(r.path, req.Format, req.Gzip))
		d := FileDialog{Title: "Export the sync report", DefaultName: def}
		switch req.Format {
		case "html":
			d.Filters = []FileFilter{{Name: "HTML report (*.html)", Pattern: "*.html"}}
		case "json":
			d.Filters = []FileFilter{{Name: "JSON report (*.json, *.json.gz)", Pattern: "*.json;*.json.gz"}}
		}
		var out string
		if req.Format == "csv" {
			out, err = s.env.ChooseFolder(FileDialog{Title: "Choose or create the folder for operations.csv and skips.csv"})
		} else {
			out, err = s.env.SaveFile(d)
		}
		if err != nil || out == "" {
			return ExportResult{Files: []string{}}, err
		}
		files, err := report.ExportFile(r.path, report.ExportOptions{Format: req.Format, Gzip: req.Gzip,
			Pseudonymize: req.Pseudonymize, KeepDomains: req.KeepDomains, Out: out})
		if err != nil {
			return ExportResult{}, err
		}
		return ExportResult{Files: files}, nil
	})
}
