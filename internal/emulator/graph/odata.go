package graph

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
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
	b = appendString(b, code)
	b = append(b, `,"message":`...)
	b = appendString(b, fmt.Sprintf(format, args...))
	b = append(b, `,"innerError":{"date":`...)
	b = appendString(b, time.Now().UTC().Format("2006-01-02T15:04:05"))
	b = append(b, `,"request-id":`...)
	b = appendString(b, reqID)
	b = append(b, `,"client-request-id":`...)
	b = appendString(b, clientID)
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

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Hand-written because the emulator renders pages of
// 999 objects many thousand times in the read benchmark, and it must not dominate the client.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendNullable writes null for an empty string, as Graph does for unset properties.
func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }
