package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestPseudonymizeAllFormats(t *testing.T) {
	r := sampleReport()
	r.Errors = append(r.Errors, RunError{Code: "x", Message: "ZOE@contoso.com and Zoë Ångström failed"})
	personal := []string{"Zoë", "zoe@", "ZOE@", "mallory", "Mallory", "Bob", "bob@", "Carol", "carol@", "admin@contoso.com", "555 01", "eve@"}
	p := NewPseudonymizer(false)
	var js, page, ops, skips bytes.Buffer
	if err := Write(&js, r, WriteOptions{Pseudonymize: p}); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, r, p); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&ops, &skips, r, p); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"json": js.Bytes(), "html": page.Bytes(), "ops.csv": ops.Bytes(), "skips.csv": skips.Bytes()} {
		for _, s := range personal {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s still holds %q", name, s)
			}
		}
		if name != "skips.csv" && !bytes.Contains(b, []byte("Engineering")) {
			t.Errorf("%s lost the group names", name)
		}
	}
	l := mustLoad(t, js.Bytes())
	got := l.Report
	if !got.Pseudonymized || r.Pseudonymized {
		t.Fatal("Pseudonymized flag not set on the export only")
	}
	// Stable within the export: the same person has the same pseudonym everywhere.
	zoe1, zoe2 := got.Operations[1].Object, got.Operations[3].Object
	if zoe1.Name != zoe2.Name || zoe1.Email != zoe2.Email || !strings.HasPrefix(zoe1.Name, "User ") ||
		!strings.HasSuffix(zoe1.Email, "@example.invalid") || got.Operations[1].Changes[0].New != zoe1.Name {
		t.Fatalf("unstable pseudonyms: %+v %+v %+v", zoe1, zoe2, got.Operations[1].Changes)
	}
	if got.Operations[2].Changes[1].Old != "(redacted)" {
		t.Fatalf("phone not redacted: %+v", got.Operations[2].Changes)
	}
	if !strings.Contains(got.Operations[2].Message, got.Operations[2].Object.Email) {
		t.Fatalf("message not scrubbed consistently: %q", got.Operations[2].Message)
	}
	if got.Operations[0].Object.Name != "Engineering" || got.Operations[1].Object.EntraID != "u-1" {
		t.Fatal("group names and ids must be kept")
	}
	// Another export uses another key: pseudonyms cannot be linked across exports.
	q := NewPseudonymizer(true)
	if q.Email("zoe@contoso.com") == p.Email("zoe@contoso.com") || !strings.HasSuffix(q.Email("zoe@contoso.com"), "@contoso.com") {
		t.Fatal("keys not per export or domain not kept")
	}
}

// Pseudonyms stay unique when two names share a 6-hex-digit tag: tag lengthens the later one.
// 20,000 names under a fixed key are the smallest run that is sure to hold such a pair (about
// 20,000²/2/16⁶ = 12 expected; the test checks at least one was lengthened, so it cannot pass
// without reaching the collision path); 100,000 names took 3.7 s under -race for the same check.
func TestPseudonymsStayUniqueWhenTagsCollide(t *testing.T) {
	p := newPseudonymizerKey([]byte("a fixed key: the collisions below are reproducible"), false)
	seen := map[string]string{}
	lengthened := 0
	for i := 0; i < 20000; i++ {
		orig := "person " + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)
		ps := p.Name(orig)
		if o, dup := seen[ps]; dup && o != orig {
			t.Fatalf("%q and %q share %q", o, orig, ps)
		}
		seen[ps] = orig
		if len(ps) > len("User ")+6 {
			lengthened++
		}
	}
	if lengthened == 0 {
		t.Fatal("no two names shared a 6-digit tag: the test did not reach the collision it is about")
	}
	t.Logf("%d of %d pseudonyms lengthened past 6 hex digits", lengthened, len(seen))
}
