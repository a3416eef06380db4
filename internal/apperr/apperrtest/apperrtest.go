// Package apperrtest checks in tests that an error carries the apperr code a caller relies on
// (the SCIM client's, sign-in's and keychain's tests each wrote the same helper). Only test files
// import it.
package apperrtest

import (
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Want fails the test unless err is an error whose code is code, and returns its *apperr.Error.
func Want(tb testing.TB, err error, code apperr.Code) *apperr.Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("want error %s, got nil", code)
	}
	if got := apperr.CodeOf(err); got != code {
		tb.Fatalf("want code %s, got %s: %v", code, got, err)
	}
	return apperr.As(err)
}
