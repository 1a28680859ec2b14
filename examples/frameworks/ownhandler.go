package frameworks

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vobizhook/vobizhook"
)

// GinOwn returns a gin engine serving GinCallbacks(v, store, handle) at
// /conference-events for GET and POST.
func GinOwn(v *vobizhook.Verifier, store vobizhook.NonceStore, handle func(*gin.Context, vobizhook.ConferenceEvent) error) *gin.Engine {
	r := gin.New()
	r.Match([]string{http.MethodGet, http.MethodPost}, "/conference-events", GinCallbacks(v, store, handle))
	return r
}

// GinCallbacks returns a gin handler func that does, in a framework's own
// handler, what a vobizhook.Handler does: it verifies the signature with v,
// decodes the callback with vobizhook.ParseConferenceEvent (which verifies
// nothing), claims the request's nonces in store, and calls handle with the
// gin context once per signed callback, answering as a Handler would. handle
// must not write the answer: it returns nil (200 with an empty <Response>,
// valid XML also for a waitSound fetch or a <Conference action> request
// reaching this route) or an error (500, and Vobiz retries). To answer those
// two with XML of your own (hold music, the rest of the call), mount a
// vobizhook.Handler with WaitSound and OnLeave instead.
//
// Use it when handle needs the framework's context (values set by your
// middleware, a tenant taken from a path parameter) or answers of its own.
// Otherwise mount a vobizhook.Handler with gin.WrapH: it also reports
// outcomes, tracks conferences and answers waitSound fetches.
//
// Errors go to the gin context (c.Errors, which gin's Logger prints); they
// never contain a token or a signature value. A body already parsed by
// gin's form binding (c.ShouldBind, c.PostForm) is used as parsed.
func GinCallbacks(v *vobizhook.Verifier, store vobizhook.NonceStore, handle func(*gin.Context, vobizhook.ConferenceEvent) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		nonces, err := v.Verify(c.Request) // before anything reads the body
		if err != nil {
			c.AbortWithError(verifyStatus(err), err)
			return
		}
		ev, err := vobizhook.ParseConferenceEvent(c.Request)
		if errors.Is(err, vobizhook.ErrBodyConsumed) { // a middleware read the body: fix the server
			c.AbortWithError(http.StatusInternalServerError, err)
			return
		} else if err != nil {
			c.Error(err)
			c.String(parseStatus(err), "%s", err) // names the parameter, never its value
			return
		}
		ctx := c.Request.Context()
		claim, err := nonces.Claim(ctx, store, 0)
		switch {
		case err != nil: // the store is down: Vobiz retries
			c.AbortWithError(http.StatusServiceUnavailable, err)
			return
		case claim.State == vobizhook.NonceDone: // a retry or a replay of a handled callback
			ack(c)
			return
		case claim.State == vobizhook.NonceInProgress && (ev.Action == vobizhook.ActionLeave || ev.Action == vobizhook.ActionWaitSound):
			ack(c) // the call waits on an answer: no 503 for a copy
			return
		case claim.State == vobizhook.NonceInProgress: // the same callback, being handled now
			c.Header("Retry-After", "1")
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		if err := handle(c, ev); err != nil {
			c.AbortWithError(http.StatusInternalServerError, err)
			if err := claim.Release(ctx); err != nil { // so that Vobiz's retry is handled
				c.Error(err) // the retries get 503 until the claim's lease ends
			}
			return
		}
		if err := claim.Complete(ctx, 0); err != nil {
			c.Error(err) // handled; a replay of it may be handled again
		}
		ack(c)
	}
}

// emptyResponse is the answer a Handler gives a callback it handled.
var emptyResponse = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response></Response>\n")

func ack(c *gin.Context) { c.Data(http.StatusOK, "application/xml", emptyResponse) }

// verifyStatus is the status a Handler answers for an error of Verify.
func verifyStatus(err error) int {
	switch {
	case errors.Is(err, vobizhook.ErrBadCredentials):
		return http.StatusUnauthorized
	case errors.Is(err, vobizhook.ErrMissingSignature),
		errors.Is(err, vobizhook.ErrInvalidSignature),
		errors.Is(err, vobizhook.ErrUnknownAccount):
		return http.StatusForbidden
	case errors.Is(err, vobizhook.ErrUnavailable):
		return http.StatusServiceUnavailable
	default: // ErrNoAuthToken, ErrInvalidCallbackURL: the server is misconfigured
		return http.StatusInternalServerError
	}
}

// parseStatus is the status a Handler answers for a malformed callback (an
// error of ParseConferenceEvent other than ErrBodyConsumed).
func parseStatus(err error) int {
	switch {
	case errors.Is(err, vobizhook.ErrUnsupportedMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, vobizhook.ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	default: // a malformed callback; a *vobizhook.ParamError names the parameter
		return http.StatusBadRequest
	}
}
