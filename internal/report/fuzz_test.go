package report

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/idpsync/idpsync/internal/apperr"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must refuse with a report error code or load a
// report that writes back (JSON, HTML, CSV) and reloads to the same canonical bytes. The seed
// corpus in testdata/fuzz/FuzzLoad runs in every `go test`.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"schema":"idpsync.report","version":1,"operations":[]}`))
	f.Add([]byte(`{}`))
	lim := DefaultLimits
	lim.MaxBytes = 4 << 20
	lim.BombFloor = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := LoadLimits(bytes.NewReader(b), lim)
		if err != nil {
			switch c := apperr.CodeOf(err); c {
			case apperr.ReportInvalid, apperr.ReportTooLarge, apperr.ReportUnsupported:
			default:
				t.Fatalf("refused with code %s: %v", c, err)
			}
			if apperr.As(err).Action == "" {
				t.Fatalf("no action in %v", err)
			}
			return
		}
		var first bytes.Buffer
		if err := Write(&first, l.Report, WriteOptions{}); err != nil {
			t.Fatalf("a loaded report does not write: %v", err)
		}
		var page bytes.Buffer
		if err := WriteHTML(&page, l.Report, nil); err != nil {
			t.Fatal(err)
		}
		if err := WriteCSV(io.Discard, io.Discard, l.Report, NewPseudonymizer(false)); err != nil {
			t.Fatal(err)
		}
		l2, err := LoadLimits(bytes.NewReader(page.Bytes()), DefaultLimits)
		if err != nil {
			t.Fatalf("the HTML export does not load: %v", err)
		}
		var second bytes.Buffer
		Write(&second, l2.Report, WriteOptions{})
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("round trip changed the report:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}

// schemaKeys are the field names the parser reads; encoding/json also matches them
// case-insensitively, which the parser does not (see FuzzParserMatchesEncodingJSON).
var schemaKeys = []string{"seq", "action", "object", "group", "chain", "changes", "reason", "result", "code", "message",
	"type", "name", "email", "entraId", "atlassianId", "attribute", "old", "new", "detail", "operations", "skips"}

func caseVariantKey(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			for _, s := range schemaKeys {
				if k != s && strings.EqualFold(k, s) {
					return true
				}
			}
			if caseVariantKey(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if caseVariantKey(e) {
				return true
			}
		}
	}
	return false
}

// FuzzParserMatchesEncodingJSON checks the hand-written parser against encoding/json: on valid
// UTF-8 JSON that both accept, the operations and skips must be identical.
func FuzzParserMatchesEncodingJSON(f *testing.F) {
	f.Add([]byte(`{"schema":"idpsync.report","version":1,"operations":[{"seq":1,"action":"add_member","object":{"type":"user","name":"a\u00e9\ud83d\ude00"},"group":{"name":"g","entraId":"e"},"chain":["x","y"],"changes":[{"attribute":"a","old":"\ud800","new":"\ud800\u0041"}],"result":"ok","unknown":[1,{"a":null}]}],"skips":[{"object":{"name":"s"},"reason":"r","detail":"d"}]}`))
	f.Add([]byte(`{"schema":"idpsync.report","version":1,"operations":[{"seq":-0,"group":null,"chain":[],"changes":null},{"seq":2,"chain":null,"changes":[]}],"skips":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) || !json.Valid(b) {
			return
		}
		var generic any
		if json.Unmarshal(b, &generic) != nil || caseVariantKey(generic) {
			return
		}
		var want Report
		if json.Unmarshal(b, &want) != nil {
			return
		}
		l, err := Load(bytes.NewReader(b))
		if err != nil {
			return // the parser is stricter (limits, duplicate top-level keys, schema checks)
		}
		got := l.Report
		if len(want.Operations) == 0 && len(got.Operations) == 0 {
			want.Operations, got.Operations = nil, nil
		}
		if len(want.Skips) == 0 && len(got.Skips) == 0 {
			want.Skips, got.Skips = nil, nil
		}
		if !reflect.DeepEqual(want.Operations, got.Operations) || !reflect.DeepEqual(want.Skips, got.Skips) {
			t.Fatalf("parser and encoding/json differ on %q:\n%+v\n%+v", b, want.Operations, got.Operations)
		}
	})
}

// FuzzAppendMatchesEncodingJSON holds the hand-written encoder to encoding/json's bytes (with
// HTML escaping), for any field values.
func FuzzAppendMatchesEncodingJSON(f *testing.F) {
	f.Add(1, "add_member", "Zoë \u2028</script>&<!--", "a\xffb\x00\x1f\x7f", "g", "", "x\ty\"z\\", true, 2)
	f.Add(-5, "", "", "", "", "\ud7ff\ue000\U0001F600", "\u2029", false, 0)
	f.Fuzz(func(t *testing.T, seq int, action, name, email, group, msg, attr string, hasGroup bool, nChain int) {
		op := Operation{Seq: seq, Action: Action(action), Object: ObjectRef{Type: "user", Name: name, Email: email, EntraID: msg},
			Reason: attr, Result: Result(msg), Code: email, Message: msg}
		if hasGroup {
			op.Group = &ObjectRef{Type: group, Name: group, AtlassianID: name}
		}
		for i := 0; i < nChain%4; i++ {
			op.Chain = append(op.Chain, group+name)
			op.Changes = append(op.Changes, Change{Attribute: attr, Old: name, New: email})
		}
		want, err := json.Marshal(&op)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendOperation(nil, &op); !bytes.Equal(got, want) {
			t.Fatalf("operation:\n got %s\nwant %s", got, want)
		}
		sk := Skip{Object: op.Object, Reason: name, Detail: msg}
		want, _ = json.Marshal(&sk)
		if got := appendSkip(nil, &sk); !bytes.Equal(got, want) {
			t.Fatalf("skip:\n got %s\nwant %s", got, want)
		}
	})
}
