package engine

import (
	"strings"
	"unicode"
)

// foldName is the key under which two group names are the same name for the matcher: two names
// have equal keys exactly when strings.EqualFold says they are equal (Unicode simple case folding:
// "ſales" (U+017F), "SALES" and "Sales" are one name, as are "\u212Aey" (Kelvin sign) and "key"),
// after trimming the blanks Atlassian and Entra ignore around a name. Each rune becomes the
// smallest rune of its case-folding orbit, which is what EqualFold compares. Protected groups are
// looked up with it, so that no spelling Entra can match to a protected Atlassian group escapes
// the protection (issue 14 point 1: a lower-cased key let "ſales" through to "Sales").
func foldName(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}
