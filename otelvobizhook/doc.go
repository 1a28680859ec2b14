// Package otelvobizhook records how a vobizhook.Handler answers each Vobiz
// callback as OpenTelemetry metrics and, optionally, spans.
//
// [New] returns a func for Handler.OnOutcome:
//
//	onOutcome, err := otelvobizhook.New() // the global MeterProvider
//	if err != nil {
//		return err
//	}
//	h := &vobizhook.Handler{Verifier: v, OnEnter: enter, OnOutcome: onOutcome}
//
// It lives in its own module (github.com/vobizhook/vobizhook/otelvobizhook)
// so that importing vobizhook never pulls in OpenTelemetry.
//
// # Metrics
//
// Two instruments, from the Meter named [ScopeName]:
//
//   - vobizhook.callbacks ([CallbacksMetric]), an Int64Counter of unit
//     {callback}: one per request the Handler answered.
//   - vobizhook.callback.duration ([DurationMetric]), a Float64Histogram in
//     seconds (unit "s") from the start of ServeHTTP to the answer, with
//     the bucket boundaries of [DurationBoundaries] (1 ms to 5 s, with a
//     boundary at Vobiz's 3 s deadline). Change them with an SDK View.
//
// Both carry the same three attributes, and only these: [OutcomeKey]
// (vobizhook.outcome: handled, acknowledged, duplicate, in-progress,
// refused, failed, unavailable or misconfigured), [ActionKey]
// (vobizhook.action) and http.response.status_code. Their cardinality is
// bounded whatever a client sends: the outcome is one of the Handler's
// kinds; the action is one vobizhook knows (enter, exit, start, end,
// waitSound, floor, digits, record, leave), "other" for any other
// ConferenceAction (it can be any word a client chooses), and "" for a
// request refused before it was decoded; the status is one the server
// wrote. No UUID, member ID, phone number or room name is ever a metric
// attribute. With Prometheus, the counter is vobizhook_callbacks_total and
// the histogram vobizhook_callback_duration_seconds, with the labels
// vobizhook_outcome, vobizhook_action and http_response_status_code.
//
// Measurements are made with the request's context, so an SDK that
// records exemplars links them to the trace of the request (otelhttp's).
//
// # Spans
//
// With [WithTracing] or [WithTracerProvider], each callback also gets a
// span of kind internal, named "vobizhook.callback <action>" with the
// bounded action above ("vobizhook.callback" alone when refused before
// decoding), from the Tracer named [ScopeName]. OnOutcome runs after the
// answer, so the span is started with the start time of ServeHTTP
// (now - Outcome.Duration) and ended at once: it covers the same interval
// as the histogram. Its parent is the span in the request's context: wrap
// the Handler in otelhttp.NewHandler and the callback's span nests under
// the request's server span; without one, it is a root span.
//
// Its attributes: vobizhook.outcome, vobizhook.action and
// http.response.status_code, as on the metrics; and, from a decoded
// callback, [ConferenceUUIDKey] (vobiz.conference.uuid), [CallUUIDKey]
// (vobiz.call.uuid) and [MemberIDKey] (vobiz.conference.member_id), each
// when not empty, and [ReceivedActionKey] (vobiz.conference.action), the
// ConferenceAction as received, when vobizhook.action is "other". Phone
// numbers (From, To), the room name, the parameters and the headers never
// reach a span.
//
// The span's status follows the HTTP server conventions of OpenTelemetry
// (a 4xx is the client's fault, not the server's):
//
//   - failed, unavailable and misconfigured: status Error, with
//     Outcome.Err recorded as an exception event (its text is also the
//     status description) and error.type set to the outcome.
//   - refused (a 4xx: unsigned, forged or malformed): status unset, with
//     Outcome.Err recorded as an exception event, so the reason of the
//     refusal is on the span; no error.type.
//   - handled, acknowledged, duplicate and in-progress: status unset. An
//     in-progress answer is a 503 by design (another delivery of the same
//     callback is being handled and Vobiz is asked to retry), not a fault;
//     the span of the first delivery carries its outcome.
//
// The texts of Outcome.Err come from vobizhook, which never puts a token, a
// password, a signature value or a parameter's value in an error, except
// where they wrap an error of your own code: your func's (failed, or
// unavailable with ErrUnavailable), your NonceStore's, Tracker's or
// Verifier.Lookup's (unavailable). Keep phone numbers and secrets out of
// those errors.
//
// Tracing is off by default: wrapped in otelhttp, the request already has a
// server span, and a second one per callback is for those who want the
// callback's outcome and UUIDs in their traces.
package otelvobizhook
