package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// OperationColumns and SkipColumns are the CSV headers, in the words a spreadsheet user expects.
var (
	OperationColumns = []string{"Run ID", "Seq", "Action", "Object type", "Name", "Email", "Entra ID", "Atlassian ID",
		"Group", "Chain", "Attribute changes", "Result", "Code", "Message", "Reason"}
	SkipColumns = []string{"Run ID", "Object type", "Name", "Email", "Entra ID", "Atlassian ID", "Reason", "Detail"}
)

// utf8BOM makes Excel read the file as UTF-8 rather than the system code page.
const utf8BOM = "\uFEFF"

// CSVWriter streams one CSV table (operations or skips): UTF-8 with a BOM, CRLF line ends, and
// every cell guarded against formula injection.
type CSVWriter struct {
	out    *bufio.Writer
	csv    *csv.Writer
	runID  string
	pseudo *Pseudonymizer
	row    []string
}

func newCSV(w io.Writer, runID string, header []string, pseudo *Pseudonymizer) (*CSVWriter, error) {
	out := bufio.NewWriterSize(w, 256<<10)
	if _, err := out.WriteString(utf8BOM); err != nil {
		return nil, err
	}
	c := csv.NewWriter(out)
	c.UseCRLF = true
	if err := c.Write(header); err != nil {
		return nil, err
	}
	return &CSVWriter{out: out, csv: c, runID: runID, pseudo: pseudo}, nil
}

// NewOperationsCSV starts operations.csv for the run runID.
func NewOperationsCSV(w io.Writer, runID string, pseudo *Pseudonymizer) (*CSVWriter, error) {
	return newCSV(w, runID, OperationColumns, pseudo)
}

// NewSkipsCSV starts skips.csv for the run runID.
func NewSkipsCSV(w io.Writer, runID string, pseudo *Pseudonymizer) (*CSVWriter, error) {
	return newCSV(w, runID, SkipColumns, pseudo)
}

// CSVSafe neutralizes a cell that a spreadsheet would run as a formula by prefixing it with an
// apostrophe, which spreadsheets hide. Guarded first characters: OWASP's list (= + - @, tab,
// carriage return), a line feed and any other white space (Excel and LibreOffice skip leading
// blanks before they look for "=", so " =1+1" runs), and the full-width and small forms
// ＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫, which a Japanese or Chinese input method types and Excel takes as = + - @.
func CSVSafe(s string) string {
	if s == "" {
		return s
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n',
		'\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', // ＝ ＋ － ＠
		'\uFE66', '\uFE62', '\uFE63', '\uFE6B': // ﹦ ﹢ ﹣ ﹫
		return "'" + s
	}
	if unicode.IsSpace(r) {
		return "'" + s
	}
	return s
}

// FormatChanges renders attribute changes as "attr: old → new; …".
func FormatChanges(cs []Change) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Attribute)
		b.WriteString(": ")
		b.WriteString(c.Old)
		b.WriteString(" → ")
		b.WriteString(c.New)
	}
	return b.String()
}

func (c *CSVWriter) write(cells ...string) error {
	c.row = c.row[:0]
	for _, s := range cells {
		c.row = append(c.row, CSVSafe(s))
	}
	return c.csv.Write(c.row)
}

// WriteOperation appends one operation row.
func (c *CSVWriter) WriteOperation(op *Operation) error {
	if c.pseudo != nil {
		cp := *op
		c.pseudo.operation(&cp)
		op = &cp
	}
	group := ""
	if op.Group != nil {
		group = op.Group.Name
	}
	return c.write(c.runID, strconv.Itoa(op.Seq), string(op.Action), op.Object.Type, op.Object.Name, op.Object.Email,
		op.Object.EntraID, op.Object.AtlassianID, group, strings.Join(op.Chain, " > "), FormatChanges(op.Changes),
		string(op.Result), op.Code, op.Message, op.Reason)
}

// WriteSkip appends one skip row.
func (c *CSVWriter) WriteSkip(s *Skip) error {
	if c.pseudo != nil {
		cp := *s
		c.pseudo.skip(&cp)
		s = &cp
	}
	return c.write(c.runID, s.Object.Type, s.Object.Name, s.Object.Email, s.Object.EntraID, s.Object.AtlassianID, s.Reason, s.Detail)
}

// Close flushes the table; it does not close w.
func (c *CSVWriter) Close() error {
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return err
	}
	return c.out.Flush()
}

// WriteCSV writes a whole report as two tables.
func WriteCSV(ops, skips io.Writer, r *Report, pseudo *Pseudonymizer) error {
	ow, err := NewOperationsCSV(ops, r.RunID, pseudo)
	if err != nil {
		return err
	}
	sw, err := NewSkipsCSV(skips, r.RunID, pseudo)
	if err != nil {
		return err
	}
	if err := r.streamTo(ow.WriteOperation, sw.WriteSkip); err != nil {
		return err
	}
	if err := ow.Close(); err != nil {
		return err
	}
	return sw.Close()
}
