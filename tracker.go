package vobizhook

import (
	"context"
	"net/http"
	"runtime/debug"
)

// Tracker turns the callbacks of a conference into its lifecycle: a
// Handler whose Tracker is set hands it every enter, exit, start and end
// with its funcs, and the Tracker decides which run. It is the seam the
// Handler needs and nothing more, as http.RoundTripper is a ReverseProxy's;
// *track.Tracker implements it (OnStart and OnEnd exactly once per
// conference), and a test double or a design of your own may stand in.
type Tracker interface {
	// Track applies ev, calling from funcs the func of each step it
	// derives, with ctx, and reports whether any func ran. An error from a
	// func is returned as is (the Handler answers 500, so Vobiz retries);
	// an error wrapping [ErrUnavailable] is answered 503. Track must not
	// keep funcs after it returns.
	Track(ctx context.Context, ev ConferenceEvent, funcs Funcs) (called bool, err error)
}

// Funcs are the lifecycle funcs a [Handler] passes to its [Tracker] on each
// call: its own OnEnter, OnExit, OnStart and OnEnd. A nil func means the
// step is taken without a call.
type Funcs struct {
	// OnEnter, OnExit, OnStart and OnEnd are the Handler's funcs of the
	// same name.
	OnEnter, OnExit, OnStart, OnEnd func(ctx context.Context, ev ConferenceEvent) error
}

// For returns the func for action, or nil for any other action.
func (f Funcs) For(action Action) func(context.Context, ConferenceEvent) error {
	switch action {
	case ActionEnter:
		return f.OnEnter
	case ActionExit:
		return f.OnExit
	case ActionStart:
		return f.OnStart
	case ActionEnd:
		return f.OnEnd
	}
	return nil
}

// Call calls fn with ctx and ev as a Handler calls its funcs: a panic
// becomes a *[PanicError] with the stack, except http.ErrAbortHandler,
// which is re-raised (the standard way to abort a response on purpose, which
// net/http recovers). A nil fn returns nil. Trackers call their funcs with
// it so that a panic is reported the same way wherever it happens.
func Call(ctx context.Context, fn func(context.Context, ConferenceEvent) error, ev ConferenceEvent) (err error) {
	if fn == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	return fn(ctx, ev)
}

// panicError turns a recovered panic value into a *PanicError with the
// stack, and re-raises http.ErrAbortHandler. Call it in the deferred func
// that recovered v.
func panicError(v any) error {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}
