package vobizhook

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned (wrapped) by [ParseConferenceEvent] and reported by
// [Handler]. Test for them with errors.Is; use errors.As with *[ParamError] to
// learn which parameter was at fault.
var (
	// ErrMethodNotAllowed: the request was neither GET nor POST (HTTP 405).
	ErrMethodNotAllowed = errors.New("vobizhook: method not allowed, want GET or POST")

	// ErrUnsupportedMediaType: a POST body that is not
	// application/x-www-form-urlencoded (HTTP 415).
	ErrUnsupportedMediaType = errors.New("vobizhook: unsupported content type, want application/x-www-form-urlencoded")

	// ErrBodyTooLarge: the body (or, for GET, the query string) is larger
	// than the configured limit (HTTP 413).
	ErrBodyTooLarge = errors.New("vobizhook: request body too large")

	// ErrMalformedForm: the body or query string is not valid form encoding,
	// for example broken percent-encoding (HTTP 400).
	ErrMalformedForm = errors.New("vobizhook: malformed form encoding")

	// ErrMissingAction: ConferenceAction is absent or empty (HTTP 400). The
	// returned error is a *ParamError naming ConferenceAction.
	ErrMissingAction = errors.New("missing or empty")

	// ErrDuplicateParam: a parameter the event decodes was sent more than
	// once, as in ConferenceAction=enter&ConferenceAction=exit (HTTP 400).
	ErrDuplicateParam = errors.New("given more than once")

	// ErrInvalidParam: a parameter the event decodes has a value of the wrong
	// form, such as ConferenceCurrentSize=abc (HTTP 400).
	ErrInvalidParam = errors.New("invalid value")

	// ErrUnavailable: something the Handler depends on (its NonceStore, its
	// Tracker's store, a full tracker) cannot serve the callback right now.
	// A [Handler] answers 503 so that Vobiz retries. A func may return an
	// error wrapping it to ask for the same answer.
	ErrUnavailable = errors.New("vobizhook: temporarily unavailable")
)

// ParamError reports a problem with one callback parameter. Its Err is one of
// [ErrMissingAction], [ErrDuplicateParam] or [ErrInvalidParam], so both
// errors.Is(err, ErrInvalidParam) and errors.As(err, &pe) work.
//
// The message names the parameter and what was expected; it never repeats the
// received value, so it is safe to log and to return to the client.
type ParamError struct {
	Param  string // wire name, e.g. "ConferenceCurrentSize"
	Reason string // what was expected, e.g. "want a non-negative integer"
	Err    error  // the sentinel: ErrMissingAction, ErrDuplicateParam or ErrInvalidParam
}

// Error returns "vobizhook: parameter <Param>: <Err>[: <Reason>]".
func (e *ParamError) Error() string {
	var b strings.Builder
	b.WriteString("vobizhook: parameter ")
	b.WriteString(e.Param)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Unwrap returns the sentinel, for errors.Is.
func (e *ParamError) Unwrap() error { return e.Err }

// PanicError is the error a func's panic becomes: the Handler logs it with
// the stack and answers 500. Use errors.As to tell a panic from a returned
// error, in an OnOutcome hook or a Tracker of your own.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error describes the panic value; the stack is kept out of the message.
func (e *PanicError) Error() string { return fmt.Sprintf("vobizhook: callback panicked: %v", e.Value) }
