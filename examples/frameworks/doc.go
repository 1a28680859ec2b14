// Package frameworks shows, as code that is compiled and tested, how to mount
// a vobizhook.Handler in net/http, chi, gin and echo, behind http.StripPrefix,
// and how to verify callbacks in a framework's own handler func instead.
//
// Each recipe is one small file whose constructor returns a router serving
// the callback route for GET and POST: Vobiz's callbackMethod may be either,
// and a route restricted to POST (mux.Handle("POST /conference-events", h),
// r.Post, r.POST, e.POST) answers a GET callback 405 or 404 without the
// Handler ever seeing it, so Vobiz retries and then gives up. The tests replay
// the recorded payloads of the vobizhook module's testdata/, signed as Vobiz
// signs them, over a real HTTP server.
//
// This package is a module of its own (examples/frameworks/go.mod), so that
// chi, gin and echo never reach the builds of vobizhook's users. Copy the
// recipe you need; do not import this package.
package frameworks
