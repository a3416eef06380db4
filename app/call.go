package app

import (
	"log/slog"
	"runtime/debug"

	"github.com/idpsync/idpsync/internal/apperr"
)

// call runs a bound method's body. Wails v2 does not recover panics in bound methods (one
// would take the whole app down), and a plain Go error would reach the screen as an opaque
// string; call turns both into a coded *apperr.Error. Uncoded errors and panics are logged
// with their cause, which is kept out of what the frontend sees.
func call[T any](op string, fn func() (T, error)) (res T, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("bound method panicked", "op", op, "panic", p, "stack", string(debug.Stack()))
			var zero T
			res = zero
			err = apperr.New(apperr.Internal, "%s failed unexpectedly", op).
				WithAction("This is a bug in IdP Sync. Try again; if it happens again, report it.")
		}
	}()
	res, err = fn()
	if err != nil {
		e := apperr.As(err)
		if e.Code == apperr.Internal {
			slog.Error("bound method failed", "op", op, "err", err)
		}
		var zero T
		return zero, e
	}
	return res, nil
}

// ErrorPayload is what a rejected call delivers to JavaScript.
type ErrorPayload struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
	Action  string      `json:"action,omitempty"`
}

// FormatError is the Wails ErrorFormatter: every error crossing to the frontend becomes
// {code, message, action}. The cause (Err) never crosses: it may hold details that are not
// meant for the screen.
func FormatError(err error) any {
	e := apperr.As(err)
	if e == nil {
		return nil
	}
	msg := e.Message
	if msg == "" {
		msg = "unexpected error"
	}
	return ErrorPayload{Code: e.Code, Message: msg, Action: e.Action}
}
