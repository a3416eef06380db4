package report

import (
	"fmt"
	"io"

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
	// MaxOperations and MaxSkips bound the entries of the two lists, and MaxItems the elements of
	// one operation's chain or changes: an entry costs far more to handle than the 3 bytes of a
	// "{}," that stands for it (issue 14 point 3: 3,000,000 of them gzip to 9 KB), so a byte limit
	// alone does not bound the work.
	MaxOperations int
	MaxSkips      int
	MaxItems      int
}

// DefaultLimits are the limits the app and the CLI use.
var DefaultLimits = Limits{
	MaxBytes:  2 << 30, // 2 GiB: a 1,000,000-operation report is about 0.4 GiB
	MaxDepth:  32,
	MaxString: 64 << 10,
	MaxHeader: 16 << 20,
	BombRatio: 200,
	// The ratio is checked once 1 MiB is out: a real report of that size compresses about 10:1,
	// far from 200:1, and a bomb is refused after 1 MiB instead of after 64 MiB.
	BombFloor: 1 << 20,
	// Atlassian's published maxima are 8,000,000 memberships and 1,000,000 users in a
	// directory: a first sync of the largest directory plans at most about 9,000,000 operations.
	MaxOperations: 10_000_000,
	MaxSkips:      5_000_000, // users and groups left out: Entra tenants larger than the directory
	MaxItems:      10_000,    // a chain as deep as 10,000 groups, or 10,000 attribute changes
}

// limitError is a limit that was hit; the loader turns it into an apperr with context.
type limitError struct {
	code apperr.Code
	msg  string
}

func (e *limitError) Error() string { return e.msg }

// countingReader sits under the gzip reader and counts compressed bytes; bombReader above it counts
// the uncompressed ones, and together they spot a compression bomb early.
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
