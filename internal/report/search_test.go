package report

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// searchReport is sampleReport plus what a text search must get right: renames (old and new
// names in Changes), conflicts, NFC and NFD spellings, Turkish dotted and dotless i, CJK, Seqs
// that are not their ordinal + 1, and, per searchable field, a token found in that field only.
func searchReport() *Report {
	r := sampleReport()
	u := func(i int, name, email string) ObjectRef {
		return ObjectRef{Type: "user", Name: name, Email: email, EntraID: fmt.Sprintf("e-%04d", i), AtlassianID: fmt.Sprintf("a-%04d", i)}
	}
	grp := &ObjectRef{Type: "group", Name: "Ürün Ekibi İstanbul", EntraID: "g-tr", AtlassianID: "a-g-tr"}
	cjk := &ObjectRef{Type: "group", Name: "開発チーム", EntraID: "g-jp"}
	seq := 100
	add := func(op Operation) {
		seq += 3 // not ordinal + 1: the index must keep the Seqs
		op.Seq = seq
		r.Operations = append(r.Operations, op)
	}
	add(Operation{Action: CreateGroup, Object: *grp, Result: ResultPlanned})
	add(Operation{Action: ConflictGroup, Object: *cjk, Result: ResultSkipped, Reason: "same-named unmanaged group", Message: "take over or skip"})
	for i := 0; i < 60; i++ {
		names := []string{"Ayşe Yılmaz", "IŞIK İnci", "José Núñez", "Jose\u0301 Nu\u0303n\u0303ez", "山田太郎", "Ölçer Ü"}
		o := u(i, fmt.Sprintf("%s %d", names[i%len(names)], i), fmt.Sprintf("user%d@%s", i, []string{"contoso.com", "CONTOSO.COM", "fabrikam.com"}[i%3]))
		switch i % 5 {
		case 0:
			add(Operation{Action: UpdateUser, Object: o, Result: ResultSucceeded, Reason: "renamed in Entra",
				Changes: []Change{{Attribute: "displayName", Old: fmt.Sprintf("Old Name %d", i), New: o.Name}}})
		case 1:
			add(Operation{Action: AddMember, Object: o, Group: grp, Chain: []string{"Ürün Ekibi İstanbul", "Alt Grup"}, Result: ResultFailed,
				Code: "atlassian_rejected", Message: "409 conflict for " + o.Email})
		case 2:
			add(Operation{Action: AddMember, Object: o, Group: cjk, Chain: []string{"開発チーム"}, Result: ResultSucceeded})
		case 3:
			add(Operation{Action: DeactivateUser, Object: o, Result: ResultPlanned, Reason: "disabled in Entra"})
		default:
			add(Operation{Action: RemoveMember, Object: o, Group: grp, Result: ResultSucceeded, Reason: "left scope"})
		}
	}
	// One token per field, found nowhere else: the index must search every field opHay does.
	add(Operation{Action: UpdateUser, Result: ResultFailed,
		Object: ObjectRef{Type: "user", Name: "fldname", Email: "fldemail@x", EntraID: "fldentra", AtlassianID: "fldatl"},
		Group:  &ObjectRef{Type: "group", Name: "fldgname", Email: "fldgemail", EntraID: "fldgentra", AtlassianID: "fldgatl"},
		Chain:  []string{"fldchain1", "fldchain2"}, Changes: []Change{{Attribute: "fldattr", Old: "fldold", New: "fldnew"}},
		Reason: "fldreason", Code: "fldcode", Message: "fldmessage", Warning: "fldwarning"})
	for i := 0; i < 40; i++ {
		r.Skips = append(r.Skips, Skip{Object: u(1000+i, []string{"Gäst İlkay", "ゲスト", "Guest"}[i%3]+fmt.Sprint(i), fmt.Sprintf("guest%d@unverified.example", i)),
			Reason: []string{"unverified_domain", "external"}[i%2], Detail: fmt.Sprintf("detail %d", i)})
	}
	r.Skips = append(r.Skips, Skip{Object: ObjectRef{Type: "group", Name: "skname", Email: "skemail", EntraID: "skentra", AtlassianID: "skatl"},
		Reason: "skreason", Detail: "skdetail"})
	r.Counts = TallyCounts(r.Operations)
	return r
}

// searchViews opens r's file three ways: indexed (as shipped), without the index (today's full
// scan of the spool) and from memory (today's opHay/skipHay rule).
func searchViews(t testing.TB, r *Report) (indexed, scan, mem *View) {
	path := filepath.Join(t.TempDir(), "r.json")
	if _, err := ExportReport(r, ExportOptions{Format: "json", Out: path}); err != nil {
		t.Fatal(err)
	}
	var err error
	if indexed, err = OpenView(path); err != nil {
		t.Fatal(err)
	}
	if scan, err = OpenView(path); err != nil {
		t.Fatal(err)
	}
	scan.opsIdx, scan.skipsIdx = nil, nil
	t.Cleanup(func() { indexed.Close(); scan.Close() })
	l, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return indexed, scan, NewView(l.Report, &l.Info)
}

// sameJSON is js(a) == js(b), marshalling only when the values are not deeply equal (equal
// values marshal alike): the JSON of ~7,000 pages was a tenth of this file's tests under -race.
func sameJSON(a, b any) bool { return reflect.DeepEqual(a, b) || js(a) == js(b) }

// sameAnswers checks q against the three views and returns the indexed view's totals.
func sameAnswers(t *testing.T, indexed, scan, mem *View, q Query) (ops, skips int) {
	t.Helper()
	a, b, c := indexed.Operations(q), scan.Operations(q), mem.Operations(q)
	if !sameJSON(a, b) || !sameJSON(a, c) {
		t.Errorf("operations %+v:\nindexed %s\nscan    %s\nmemory  %s", q, js(a), js(b), js(c))
	}
	s1, s2, s3 := indexed.Skips(q), scan.Skips(q), mem.Skips(q)
	if !sameJSON(s1, s2) || !sameJSON(s1, s3) {
		t.Errorf("skips %+v:\nindexed %s\nscan    %s\nmemory  %s", q, js(s1), js(s2), js(s3))
	}
	return a.Total, s1.Total
}

func TestIndexedSearchAnswersAsTheFullScan(t *testing.T) {
	r := searchReport()
	indexed, scan, mem := searchViews(t, r)
	if indexed.opsIdx.seq == nil {
		t.Fatal("the Seqs are not ordinal + 1, yet the index did not keep them")
	}
	texts := []string{"", " ", "zoë", "ZOË", "zoe\u0308", "josé", "jose\u0301", "JOSÉ", "núñez", "ı", "i", "İ", "i\u0307", "ış", "IŞIK",
		"ürün", "ÜRÜN", "istanbul", "i̇stanbul", "山田", "開発", "ゲスト", "チーム", ">", "ekibi >", "contoso", "CONTOSO.COM", "contoso fabrikam",
		"renamed old", "old name 5", "name 5", "409", "atlassian_rejected", "add_member", "succeeded", "planned", "user group", "group",
		"1", "10", "103", "-", "-2", "+3", "a-0", "e-0007", "a-g-tr", "g-jp", "zzz", "zoë zzz", "left scope", "scope left", "@", "\x01",
		"fldname", "fldemail", "fldentra", "fldatl", "fldgname", "fldgemail", "fldgentra", "fldgatl", "fldchain1", "fldchain2",
		"fldattr", "fldold", "fldnew", "fldreason", "fldcode", "fldmessage", "fldwarning", "skname", "skemail", "skentra", "skatl",
		"skreason", "skdetail", "unverified_domain", "external", "gäst", "user fldname", "fldname fldwarning", "fldname fldemail fldentra fldatl fldgname fldgemail fldgentra fldgatl fldchain1 fldold fldcode", "ilkay", "detail 3", "engineering sre", "fldname fldemail fldentra fldatl fldgname fldgemail fldgentra fldgatl fldchain1 contoso"}
	filters := []Query{{}, {Actions: []Action{AddMember}}, {Actions: []Action{AddMember, RemoveMember}, Results: []Result{ResultSucceeded}},
		{Results: []Result{ResultFailed}}, {ObjectTypes: []string{"group"}}, {ObjectTypes: []string{"user"}}, {Actions: []Action{"made_up"}},
		{Limit: 3, Offset: 2}, {Offset: 10000}, {Limit: 5000}, {Offset: -4, Limit: -1}}
	hits := map[string]int{}
	for _, text := range texts {
		for _, f := range filters {
			q := f
			q.Text = text
			ops, skips := sameAnswers(t, indexed, scan, mem, q)
			hits[text] += ops + skips
		}
	}
	// Each field's token is found (today's rule finds it, and the index must too); the Warning,
	// which opHay leaves out, is not; nothing spans fields.
	for _, tok := range []string{"fldname", "fldemail", "fldentra", "fldatl", "fldgname", "fldgemail", "fldgentra", "fldgatl",
		"fldchain1", "fldchain2", "fldattr", "fldold", "fldnew", "fldreason", "fldcode", "fldmessage", "skname", "skemail",
		"skentra", "skatl", "skreason", "skdetail", "山田", "ı", "103", "jose\u0301", "josé", "fldname fldemail fldentra fldatl fldgname fldgemail fldgentra fldgatl fldchain1 fldold fldcode"} {
		if hits[tok] == 0 {
			t.Errorf("%q found nothing", tok)
		}
	}
	for _, tok := range []string{"fldwarning", "zzz", "zoë zzz", "fldname fldwarning", "fldname fldemail fldentra fldatl fldgname fldgemail fldgentra fldgatl fldchain1 contoso"} {
		if hits[tok] != 0 {
			t.Errorf("%q found %d rows", tok, hits[tok])
		}
	}
	// Random substrings of the report's own text, one to three terms.
	rng := rand.New(rand.NewPCG(15, 15))
	var words []string
	for i := range r.Operations {
		words = append(words, strings.Fields(strings.NewReplacer("\x01", " ").Replace(opHay(&r.Operations[i])))...)
	}
	for i := 0; i < 300; i++ {
		var ts []string
		for k := 0; k <= []int{0, 1, 2, 9}[rng.IntN(4)]; k++ { // 10 terms: more than a byte of mask
			w := []rune(words[rng.IntN(len(words))])
			a := rng.IntN(len(w))
			ts = append(ts, string(w[a:a+1+rng.IntN(len(w)-a)]))
		}
		sameAnswers(t, indexed, scan, mem, Query{Text: strings.Join(ts, " "), Limit: 7, Offset: rng.IntN(5)})
	}
}

// FuzzIndexedSearch: any query text answers as the full scan does.
func FuzzIndexedSearch(f *testing.F) {
	for _, s := range []string{"zoë", "İ", "ı i", "103 user", "\x00", "a\x01b", "開発 >", "-"} {
		f.Add(s)
	}
	indexed, scan, _ := searchViews(f, searchReport())
	f.Fuzz(func(t *testing.T, text string) {
		for _, q := range []Query{{Text: text}, {Text: text, Actions: []Action{AddMember}, Limit: 3, Offset: 1}} {
			if a, b := indexed.Operations(q), scan.Operations(q); js(a) != js(b) {
				t.Errorf("operations %q:\nindexed %s\nscan    %s", text, js(a), js(b))
			}
			if a, b := indexed.Skips(q), scan.Skips(q); js(a) != js(b) {
				t.Errorf("skips %q:\nindexed %s\nscan    %s", text, js(a), js(b))
			}
		}
	})
}

// A newer query of a table supersedes the one running or waiting: that one answers canceled and
// the newest is answered; pages of one query, and the other table, do not supersede each other.
func TestNewestQuerySupersedesTheOlder(t *testing.T) {
	v, _, _ := searchViews(t, searchReport())
	type answer struct {
		pg  OperationPage
		err error
	}
	ask := func(q Query) chan answer {
		before := v.newOps.gen.Load()
		ch := make(chan answer, 1)
		go func() {
			pg, err := v.NewestOperations(q)
			ch <- answer{pg, err}
		}()
		// Wait until the call has begun (it bumps the generation when its query is new).
		for deadline := time.Now().Add(10 * time.Second); v.newOps.gen.Load() == before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		return ch
	}
	v.mu.Lock() // a query in progress: the calls below wait for their turn
	older := ask(Query{Text: "jos"})
	newer := ask(Query{Text: "josé"})
	v.mu.Unlock()
	if a := <-older; apperr.CodeOf(a.err) != apperr.Canceled {
		t.Errorf("the superseded query answered %+v, %v", a.pg, a.err)
	}
	a := <-newer
	if a.err != nil || a.pg.Total == 0 {
		t.Errorf("the newest query answered %+v, %v", a.pg, a.err)
	}
	// The same query's next page does not supersede it, nor does a skips query.
	g := v.newOps.begin(Query{Text: "josé"})
	if _, err := v.NewestOperations(Query{Text: "josé", Offset: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.NewestSkips(Query{Text: "guest"}); err != nil {
		t.Fatal(err)
	}
	if v.newOps.stale(g)() {
		t.Error("a page of the same query superseded it")
	}
	if _, err := v.NewestOperations(Query{Text: "josé", Actions: []Action{AddMember}}); err != nil || !v.newOps.stale(g)() {
		t.Errorf("a changed filter did not supersede the query (%v)", err)
	}
	// A running scan stops at its next check once superseded.
	if ok := v.opsIdx.each([]string{"a"}, func() bool { return true }, func(int) {}); ok {
		t.Error("a superseded scan finished")
	}
	v.Close()
	if _, err := v.NewestOperations(Query{Text: "x"}); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("a closed view answered %v", err)
	}
}

// Seqs that are their ordinal + 1 (as a plan's are) are not stored: numeric terms are matched
// against the ordinals, counted in decimal as the scan goes.
func TestIndexedSearchOfOrdinalSeqs(t *testing.T) {
	r := genInMemory(t, 300, 900, 30)
	r.Counts = TallyCounts(r.Operations)
	indexed, scan, mem := searchViews(t, r)
	if indexed.opsIdx.seq != nil {
		t.Fatal("ordinal Seqs were stored")
	}
	for _, text := range []string{"1", "9", "10", "99", "100", "109", "999", "1000", "1229", "0", "00", "-", "12 user", "group 0001"} {
		for _, q := range []Query{{Text: text}, {Text: text, Offset: 50, Limit: 10}, {Text: text, Actions: []Action{AddMember}}} {
			if ops, _ := sameAnswers(t, indexed, scan, mem, q); ops == 0 && text != "-" {
				t.Errorf("%q found no operation", text)
			}
		}
	}
}
