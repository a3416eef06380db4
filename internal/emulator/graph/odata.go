package graph

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/idpsync/idpsync/internal/jsonstr"
)

// odataError writes Graph's error body:
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
func odataError(w http.ResponseWriter, r *http.Request, status int, code, format string, args ...any) {
	reqID := w.Header().Get("request-id")
	if reqID == "" {
		reqID = newGUID()
		w.Header().Set("request-id", reqID)
	}
	clientID := r.Header.Get("client-request-id")
	if clientID == "" {
		clientID = reqID
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"error":{"code":`...)
	b = jsonstr.Append(b, code)
	b = append(b, `,"message":`...)
	b = jsonstr.Append(b, fmt.Sprintf(format, args...))
	b = append(b, `,"innerError":{"date":`...)
	b = jsonstr.Append(b, time.Now().UTC().Format("2006-01-02T15:04:05"))
	b = append(b, `,"request-id":`...)
	b = jsonstr.Append(b, reqID)
	b = append(b, `,"client-request-id":`...)
	b = jsonstr.Append(b, clientID)
	b = append(b, "}}}"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// appendNullable writes null for an empty string, as Graph does for unset properties.
func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return jsonstr.Append(b, s)
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }
