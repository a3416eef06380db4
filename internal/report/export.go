package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atomicfile"
)

// ExportOptions says how to export a report.
type ExportOptions struct {
	Format       string // "json", "html" or "csv"
	Gzip         bool   // json only
	Pseudonymize bool
	KeepDomains  bool // with Pseudonymize: keep the email domains
	// Out is the file to write (json, html) or the folder for operations.csv and skips.csv (csv).
	Out string
}

// sink is what every format's streaming writer offers.
type sink interface {
	WriteOperation(*Operation) error
	WriteSkip(*Skip) error
	Close(*Report) error
}

type csvPair struct{ ops, skips *CSVWriter }

func (c csvPair) WriteOperation(op *Operation) error { return c.ops.WriteOperation(op) }
func (c csvPair) WriteSkip(s *Skip) error            { return c.skips.WriteSkip(s) }
func (c csvPair) Close(*Report) error {
	if err := c.ops.Close(); err != nil {
		return err
	}
	return c.skips.Close()
}

// output is a set of files written next to their final names and renamed into place on success
// (internal/atomicfile), so that a failed export never leaves a half-written report behind.
type output struct {
	files []*atomicfile.File
	final []string
}

func (o *output) create(path string) (*atomicfile.File, error) {
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.InvalidInput, "cannot write %s", path).WithAction("Choose a folder you can write to.")
	}
	o.files = append(o.files, f)
	o.final = append(o.final, path)
	return f, nil
}

func (o *output) abort() {
	for _, f := range o.files {
		f.Abort()
	}
}

func (o *output) commit() ([]string, error) {
	for i, f := range o.files {
		if err := f.Commit(); err != nil {
			o.abort()
			return nil, apperr.Wrap(err, apperr.InvalidInput, "cannot write %s", o.final[i])
		}
	}
	return o.final, nil
}

func (opts ExportOptions) check() error {
	switch opts.Format {
	case "json", "html", "csv":
	default:
		return apperr.New(apperr.InvalidInput, "unknown export format %q", opts.Format).WithAction("Use html, csv or json.")
	}
	if opts.Gzip && opts.Format != "json" {
		return apperr.New(apperr.InvalidInput, "--gzip applies to the json format only")
	}
	if opts.Out == "" {
		return apperr.New(apperr.InvalidInput, "no output path")
	}
	return nil
}

// open creates the output files and the sink that writes them, starting with header h.
func (opts ExportOptions) open(o *output, h *Report, pseudo *Pseudonymizer) (sink, error) {
	switch opts.Format {
	case "csv":
		if err := os.MkdirAll(opts.Out, 0o755); err != nil {
			return nil, apperr.Wrap(err, apperr.InvalidInput, "cannot create the folder %s", opts.Out)
		}
		of, err := o.create(filepath.Join(opts.Out, "operations.csv"))
		if err != nil {
			return nil, err
		}
		sf, err := o.create(filepath.Join(opts.Out, "skips.csv"))
		if err != nil {
			return nil, err
		}
		ow, err := NewOperationsCSV(of, h.RunID, pseudo)
		if err != nil {
			return nil, err
		}
		sw, err := NewSkipsCSV(sf, h.RunID, pseudo)
		if err != nil {
			return nil, err
		}
		return csvPair{ow, sw}, nil
	case "html":
		f, err := o.create(opts.Out)
		if err != nil {
			return nil, err
		}
		return NewHTMLWriter(f, h, pseudo)
	default:
		f, err := o.create(opts.Out)
		if err != nil {
			return nil, err
		}
		return NewWriter(f, h, WriteOptions{Gzip: opts.Gzip, Pseudonymize: pseudo})
	}
}

func (opts ExportOptions) pseudonymizer() *Pseudonymizer {
	if !opts.Pseudonymize {
		return nil
	}
	return NewPseudonymizer(opts.KeepDomains)
}

// ExportReport writes r (held in memory, e.g. a run from history) in the chosen format and returns
// the files written.
func ExportReport(r *Report, opts ExportOptions) ([]string, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	o := &output{}
	s, err := opts.open(o, r, opts.pseudonymizer())
	if err != nil {
		o.abort()
		return nil, err
	}
	if err := r.streamTo(s.WriteOperation, s.WriteSkip); err != nil {
		o.abort()
		return nil, err
	}
	if err := s.Close(r); err != nil {
		o.abort()
		return nil, apperr.Wrap(err, apperr.InvalidInput, "cannot write the export")
	}
	return o.commit()
}

var errLateHeader = errors.New("header fields after the operations")

// ExportFile converts the report file src (any readable format) to opts, streaming: a
// 1,000,000-operation report is converted without being held in memory. Files whose summary fields
// follow their operations (not written by this package) are read twice instead: once for the
// summary, once for the lists.
func ExportFile(src string, opts ExportOptions) ([]string, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if same(src, opts.Out) {
		return nil, apperr.New(apperr.InvalidInput, "the export would overwrite the report it reads").WithAction("Choose another output path.")
	}
	files, err := exportStream(src, opts, nil)
	if errors.Is(err, errLateHeader) {
		full, _, err := DecodeFile(src, DefaultLimits, Visitor{})
		if err != nil {
			return nil, err
		}
		return exportStream(src, opts, full)
	}
	return files, err
}

// exportStream streams src to opts; header, when set, replaces the fields read before the lists.
func exportStream(src string, opts ExportOptions, header *Report) ([]string, error) {
	o := &output{}
	var s sink
	pseudo := opts.pseudonymizer()
	full, info, err := DecodeFile(src, DefaultLimits, Visitor{
		Begin: func(h *Report) (err error) {
			if header != nil {
				h = header
			}
			s, err = opts.open(o, h, pseudo)
			return err
		},
		Operation: func(op *Operation) error { return s.WriteOperation(op) },
		Skip:      func(sk *Skip) error { return s.WriteSkip(sk) },
	})
	if err == nil && len(info.late) > 0 && header == nil {
		err = errLateHeader
	}
	if err == nil {
		err = s.Close(full)
	}
	if err != nil {
		o.abort()
		return nil, err
	}
	return o.commit()
}

func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// DefaultOut names the export of src in format: beside it, with the format's extension (a folder
// named after it for csv).
func DefaultOut(src, format string, gz bool) string {
	base := filepath.Base(src)
	for _, ext := range []string{".gz", ".json", ".html", ".htm"} {
		base = strings.TrimSuffix(base, ext)
	}
	dir := filepath.Dir(src)
	ext := ".json"
	switch {
	case format == "csv":
		return filepath.Join(dir, base+"-csv")
	case format == "html":
		ext = ".html"
	case gz:
		ext = ".json.gz"
	}
	out := filepath.Join(dir, base+ext)
	if out == filepath.Clean(src) {
		out = filepath.Join(dir, base+"-export"+ext)
	}
	return out
}
