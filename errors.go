package vobizhook

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of decoding, returned wrapped by [ParseConferenceEvent] and
// answered by a [Handler] with the status in brackets. Test for them with
// errors.Is; errors.As with *[ParamError] names the parameter at fault.
var (
	ErrMethodNotAllowed     = errors.New("vobizhook: method not allowed, want GET or POST")                             // not GET or POST (405)
	ErrUnsupportedMediaType = errors.New("vobizhook: unsupported content type, want application/x-www-form-urlencoded") // a POST body of another type (415)
	ErrBodyTooLarge         = errors.New("vobizhook: request body too large")                                           // body, or GET query, over the limit (413)
	ErrMalformedForm        = errors.New("vobizhook: malformed form encoding")                                          // broken percent-encoding, ';' separators (400)
	ErrMissingAction        = errors.New("missing or empty")                                                            // no ConferenceAction: a *ParamError (400)
	ErrDuplicateParam       = errors.New("given more than once")                                                        // a named parameter repeated: a *ParamError (400)
	ErrInvalidParam         = errors.New("invalid value")                                                               // a named parameter malformed: a *ParamError (400)

	// ErrBodyConsumed: the body ended before its Content-Length, was
	// replaced by none (nil or http.NoBody with a Content-Length), was an
	// empty chunked body, or could not be read, because something before
	// the Handler read it without putting it back. A Handler answers 500 (Vobiz retries) and logs what
	// to fix; a body a framework parsed into r.PostForm is used as is.
	ErrBodyConsumed = errors.New("vobizhook: request body consumed before the Handler read it")

	// ErrUnavailable: something the Handler depends on (its NonceStore, its
	// Tracker or a store of it) cannot serve right now; a Handler answers
	// 503, so Vobiz retries. A func may return an error wrapping it too.
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

// PanicError is the error a panic in the user's code becomes (a func, a
// [Tracker], [Verifier].Lookup, WaitSound or the answer of OnLeave): the
// Handler logs it with the stack and answers 500. Use errors.As to tell a panic from a returned
// error, in an OnOutcome hook or a Tracker of your own.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error describes the panic value; the stack is kept out of the message.
func (e *PanicError) Error() string { return fmt.Sprintf("vobizhook: callback panicked: %v", e.Value) }
