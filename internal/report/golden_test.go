package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden and the fuzz seed corpus")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended)\n--- got\n%s", path, got)
	}
}

// nextRun is sampleReport's run a day later: one failure fixed, one membership gone, a new user,
// changed attributes, and a skip whose reason changed.
func nextRun() *Report {
	r := sampleReport()
	r.RunID = "run-0002"
	r.Status = StatusSucceeded
	r.Started = r.Started.Add(24 * 3600e9)
	r.Ended = r.Ended.Add(24 * 3600e9)
	ops := r.Operations
	ops[2].Result, ops[2].Code, ops[2].Message = ResultSucceeded, "", ""
	ops[1].Changes = []Change{{Attribute: "title", Old: "", New: "Engineer"}}
	ops = append(ops[:4], ops[5:]...)
	ops = append(ops, Operation{Seq: 7, Action: CreateUser, Object: ObjectRef{Type: "user", Name: "Dan", Email: "dan@contoso.com", EntraID: "u-9"}, Result: ResultSucceeded})
	r.Operations = ops
	r.Skips[0].Reason = "disabled"
	r.Skips = r.Skips[:1]
	r.Counts = TallyCounts(r.Operations)
	return r
}

func TestGolden(t *testing.T) {
	r := sampleReport()
	golden(t, "report.json", mustJSON(t, r, WriteOptions{}))
	var h bytes.Buffer
	if err := WriteHTML(&h, r, nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", h.Bytes())
	var o, s bytes.Buffer
	if err := WriteCSV(&o, &s, r, nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "operations.csv", o.Bytes())
	golden(t, "skips.csv", s.Bytes())
	var sum bytes.Buffer
	WriteSummaryText(&sum, Summarize(r))
	golden(t, "summary.txt", sum.Bytes())

	d := Diff(r, nextRun())
	var dt bytes.Buffer
	WriteDiffText(&dt, d, 0)
	golden(t, "diff.txt", dt.Bytes())
	dj, _ := json.MarshalIndent(d, "", "  ")
	golden(t, "diff.json", append(dj, '\n'))

	p := newPseudonymizerKey([]byte("fixed key for the golden file only"), false)
	golden(t, "pseudonymized.json", mustJSON(t, r, WriteOptions{Pseudonymize: p}))

	if *update {
		writeFuzzSeeds(t)
	}
}

// writeFuzzSeeds stores the seed corpus of FuzzLoad (testdata/fuzz/FuzzLoad), which the normal
// `go test` runs.
func writeFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	os.MkdirAll(dir, 0o755)
	good := mustJSON(t, sampleReport(), WriteOptions{})
	var page bytes.Buffer
	WriteHTML(&page, sampleReport(), nil)
	seeds := map[string][]byte{
		"json":         good,
		"gzip":         mustJSON(t, sampleReport(), WriteOptions{Gzip: true}),
		"html":         page.Bytes(),
		"truncated":    good[:len(good)/3],
		"version2":     []byte(`{"schema":"idpsync.report","version":2,"operations":[]}`),
		"deep":         []byte(`{"schema":"idpsync.report","version":1,"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"operations":[]}`),
		"invalid-utf8": []byte("{\"schema\":\"idpsync.report\",\"version\":1,\"runId\":\"\xff\xfe\xc3\",\"operations\":[{\"seq\":1,\"object\":{\"name\":\"\xe2\x82\"}}],\"skips\":null}"),
		"minimal":      []byte(`{"schema":"idpsync.report","version":1,"operations":[]}`),
		"foreign-html": []byte(`<html><script type="application/json" id="idpsync-report-data">{}</script></html>`),
		"escapes":      []byte(`{"schema":"idpsync.report","version":1,"tenant":{"name":"\u003c/script\u003e\ud800"},"operations":[{"seq":1,"action":"add_member","object":{"type":"user","name":"a"},"group":{"name":"g"},"chain":["a","b"],"changes":[{"attribute":"x","old":"1","new":"2"}],"result":"failed"}],"skips":[{"object":{"type":"group"},"reason":"r"}],"phases":[{"name":"p","started":"2026-01-01T00:00:00+05:30","durationNs":5}]}`),
	}
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
