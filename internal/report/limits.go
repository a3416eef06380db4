package report

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Limits bound what a loader accepts, so that a crafted or broken file is refused quickly instead of
// exhausting memory or time.
type Limits struct {
	// MaxBytes is the most uncompressed JSON read (and the largest file opened).
	MaxBytes int64
	// MaxDepth is the deepest nesting of objects and arrays. A report nests 4 deep; the margin
	// leaves room for additive schema changes.
	MaxDepth int
	// MaxString is the longest JSON string, in raw bytes between the quotes.
	MaxString int
	// MaxHeader is the most bytes of the top-level fields other than operations and skips.
	MaxHeader int
	// BombRatio refuses gzip input that expands more than this many times, once past BombFloor
	// uncompressed bytes. Real reports compress about 10:1 (see the benchmarks); deflate's maximum is
	// about 1032:1, reached only by runs of one byte, which is what a compression bomb is.
	BombRatio int64
	BombFloor int64
}

// DefaultLimits are the limits the app and the CLI use.
var DefaultLimits = Limits{
	MaxBytes:  2 << 30, // 2 GiB: a 1,000,000-operation report is about 0.4 GiB
	MaxDepth:  32,
	MaxString: 64 << 10,
	MaxHeader: 16 << 20,
	BombRatio: 200,
	BombFloor: 64 << 20,
}

// limitError is what the guard returns from Read; the loader turns it into an apperr with context.
type limitError struct {
	code apperr.Code
	msg  string
}

func (e *limitError) Error() string { return e.msg }

// guard checks the JSON byte stream as the decoder reads it: total size, nesting depth, string
// length, and UTF-8 validity (encoding/json silently replaces invalid bytes with U+FFFD; the guard
// counts them so the loader can flag the report). It tracks the line for error messages.
type guard struct {
	r   io.Reader
	lim Limits
	n   int64
	ln  int

	depth  int
	inStr  bool
	esc    bool
	strLen int

	seq     [4]byte // the multi-byte UTF-8 sequence in progress
	seqN    int
	seqWant int
	invalid int

	err error
}

func newGuard(r io.Reader, lim Limits) *guard { return &guard{r: r, lim: lim, ln: 1} }

func (g *guard) fail(code apperr.Code, format string, args ...any) {
	g.err = &limitError{code: code, msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" (line %d, byte %d)", g.ln, g.n)}
}

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for i := 0; i < n; i++ {
		c := p[i]
		g.n++
		if g.seqWant > 0 {
			if c&0xC0 == 0x80 {
				g.seq[g.seqN] = c
				g.seqN++
				if g.seqN == g.seqWant {
					if !utf8.Valid(g.seq[:g.seqN]) {
						g.invalid++
					}
					g.seqWant = 0
				}
				if g.inStr {
					g.strLen++
				}
				continue
			}
			g.invalid++ // a sequence cut short; c starts afresh below
			g.seqWant = 0
		}
		if c >= 0x80 {
			switch {
			case c&0xE0 == 0xC0:
				g.seqWant = 2
			case c&0xF0 == 0xE0:
				g.seqWant = 3
			case c&0xF8 == 0xF0:
				g.seqWant = 4
			default:
				g.invalid++
			}
			if g.seqWant > 0 {
				g.seq[0] = c
				g.seqN = 1
			}
		}
		if g.inStr {
			switch {
			case g.esc:
				g.esc = false
			case c == '\\':
				g.esc = true
			case c == '"':
				g.inStr = false
				continue
			}
			g.strLen++
			if g.strLen > g.lim.MaxString {
				g.fail(apperr.ReportInvalid, "a text value is longer than %d bytes", g.lim.MaxString)
				return 0, g.err
			}
			continue
		}
		switch c {
		case '"':
			g.inStr = true
			g.strLen = 0
		case '{', '[':
			g.depth++
			if g.depth > g.lim.MaxDepth {
				g.fail(apperr.ReportInvalid, "the data nests deeper than %d levels", g.lim.MaxDepth)
				return 0, g.err
			}
		case '}', ']':
			g.depth--
		case '\n':
			g.ln++
		}
	}
	if g.n > g.lim.MaxBytes {
		g.fail(apperr.ReportTooLarge, "the report is larger than %s uncompressed", humanBytes(g.lim.MaxBytes))
		return 0, g.err
	}
	return n, err
}

// bombGuard sits under the gzip reader and counts compressed bytes; the guard above counts the
// uncompressed ones, and together they spot a compression bomb early.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type bombReader struct {
	r          io.Reader
	compressed *countingReader
	lim        Limits
	n          int64
}

func (b *bombReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.lim.BombFloor && b.compressed.n > 0 && b.n/b.compressed.n > b.lim.BombRatio {
		return 0, &limitError{code: apperr.ReportTooLarge, msg: fmt.Sprintf(
			"the gzip data expands more than %d times (%s from %s): refused as a compression bomb",
			b.lim.BombRatio, humanBytes(b.n), humanBytes(b.compressed.n))}
	}
	return n, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
