package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendMatchesEncodingJSON holds Append to encoding/json's bytes (HTML escaping on) for any
// string, valid UTF-8 or not; the seeds run in every `go test`.
func FuzzAppendMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "Zoë \u2028</script>&<!--", "a\xffb\x00\x1f\x7f", "x\ty\"z\\\b\f\r\n",
		"\ud7ff\ue000\U0001F600", "\u2029", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Append([]byte("prefix:"), s); !bytes.Equal(got, append([]byte("prefix:"), want...)) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got[len("prefix:"):], want)
		}
	})
}
