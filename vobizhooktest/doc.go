// Package vobizhooktest builds Vobiz conference callbacks for tests and
// tools, in the spirit of net/http/httptest: test a Vobiz integration
// without making a phone call.
//
//   - [NewRequest] turns a [vobizhook.ConferenceEvent] into the request Vobiz
//     would send for it (same parameter names and formats, same headers),
//     optionally signed for a callback URL and Auth Token.
//   - [ReadRequestFile] reads a recorded raw HTTP request (as in the
//     project's testdata/) and [Resign] signs it again for another URL and
//     token.
//   - [Scenario] generates whole conferences, in the classic or the live
//     shape, with shuffled and duplicated deliveries, deterministically for
//     a seed.
//
// Every helper returns an error; the Must variants take a testing.TB and
// fail the test instead, for brevity in tests.
//
// Requests are built as httptest.NewRequest builds them: ready for
// handler.ServeHTTP. Pass one through [ClientRequest] to send it to a live
// server with an http.Client.
package vobizhooktest
