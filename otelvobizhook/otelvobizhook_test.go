package otelvobizhook_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

const (
	testURL   = "https://app.example/conference-events"
	testToken = "test-auth-token"
)

// The recorded live enter's identifiers and phone numbers (../testdata).
const (
	liveConference = "b6c2e1a4-0d7f-4a52-9a61-2f0c5e9d8a10"
	liveCall       = "c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45"
	liveMember     = "249"
	liveFrom       = "918071387423"
	liveTo         = "919624705678"
)

// harness is an SDK MeterProvider on a ManualReader and an SDK
// TracerProvider on a SpanRecorder, with the Outcomes the Handler reported.
type harness struct {
	reader   *sdkmetric.ManualReader
	mp       *sdkmetric.MeterProvider
	spans    *tracetest.SpanRecorder
	tp       *sdktrace.TracerProvider
	outcomes []vobizhook.Outcome
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	t.Cleanup(func() {
		assert.NoError(t, h.mp.Shutdown(context.Background()))
		assert.NoError(t, h.tp.Shutdown(context.Background()))
	})
	return h
}

// hook returns New's func for the options, wrapped to keep each Outcome.
func (h *harness) hook(t *testing.T, opts ...otelvobizhook.Option) func(context.Context, vobizhook.Outcome) {
	t.Helper()
	onOutcome, err := otelvobizhook.New(opts...)
	require.NoError(t, err)
	return func(ctx context.Context, o vobizhook.Outcome) {
		h.outcomes = append(h.outcomes, o)
		onOutcome(ctx, o)
	}
}

// collect returns the module's metrics by name.
func (h *harness) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelvobizhook.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// callbackSpans returns the ended spans of this package, in order.
func (h *harness) callbackSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range h.spans.Ended() {
		if s.InstrumentationScope().Name == otelvobizhook.ScopeName {
			out = append(out, s)
		}
	}
	return out
}

// point is a data point's attributes, in a comparable form.
type point struct {
	outcome, action string
	status          int64
}

func pointOf(t *testing.T, set attribute.Set) point {
	t.Helper()
	require.Equal(t, 3, set.Len(), "metric attributes: want only outcome, action and status, got %v", set.ToSlice())
	outcome, ok1 := set.Value(otelvobizhook.OutcomeKey)
	action, ok2 := set.Value(otelvobizhook.ActionKey)
	status, ok3 := set.Value("http.response.status_code")
	require.True(t, ok1 && ok2 && ok3, "metric attributes %v", set.ToSlice())
	require.Equal(t, attribute.INT64, status.Type())
	return point{outcome.AsString(), action.AsString(), status.AsInt64()}
}

// counts returns the counter's value per data point.
func counts(t *testing.T, m metricdata.Metrics) map[point]int64 {
	t.Helper()
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T, want an int64 sum", m.Name, m.Data)
	require.True(t, sum.IsMonotonic)
	out := map[point]int64{}
	for _, dp := range sum.DataPoints {
		out[pointOf(t, dp.Attributes)] += dp.Value
	}
	return out
}

// parse reads a recorded callback from the root module's testdata.
func parse(t *testing.T, name string) *http.Request {
	t.Helper()
	return vobizhooktest.MustReadRequestFile(t, "../testdata/"+name)
}

// signed reads a recorded callback and signs it for testURL and testToken.
func signed(t *testing.T, name string) *http.Request {
	t.Helper()
	return vobizhooktest.MustResign(t, parse(t, name), testURL, testToken)
}

// again is a second copy of r, same headers (signature and nonce
// included) and body: a provider's retry.
func again(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	c := r.Clone(r.Context())
	body, err := r.GetBody()
	require.NoError(t, err)
	c.Body = body
	return c
}

// recorded, recordedSigned and built give the request of one TestOutcomes
// case: a recorded callback, the same signed, or one built from ev.
func recorded(name string) func(*testing.T) []*http.Request {
	return func(t *testing.T) []*http.Request { return []*http.Request{parse(t, name)} }
}

func recordedSigned(name string) func(*testing.T) []*http.Request {
	return func(t *testing.T) []*http.Request { return []*http.Request{signed(t, name)} }
}

func built(ev vobizhook.ConferenceEvent) func(*testing.T) []*http.Request {
	return func(t *testing.T) []*http.Request { return []*http.Request{vobizhooktest.MustNewRequest(t, ev)} }
}

func verifier() *vobizhook.Verifier {
	return &vobizhook.Verifier{AuthTokens: []string{testToken}, CallbackURL: testURL}
}

// nonceStore answers every Claim with state, or fails with err.
type nonceStore struct {
	state vobizhook.NonceState
	err   error
}

func (s nonceStore) Claim(context.Context, string, uint64, time.Duration) (vobizhook.NonceState, error) {
	return s.state, s.err
}
func (nonceStore) Complete(context.Context, string, uint64, time.Duration) error { return nil }
func (nonceStore) Release(context.Context, string, uint64) error                 { return nil }

var errStore = errors.New("nonce store: connection refused")

func ok(context.Context, vobizhook.ConferenceEvent) error { return nil }

// call is what one request must leave on the metrics and its span.
type call struct {
	outcome vobizhook.OutcomeKind
	action  string
	status  int
	// The span's vobiz.* attributes; "" means absent.
	conference, callUUID, member, received string
	spanStatus                             codes.Code
	exception                              bool // Outcome.Err recorded as an exception event
}

// live is a call for the recorded live enter or exit.
func live(outcome vobizhook.OutcomeKind, action string, status int) call {
	return call{outcome: outcome, action: action, status: status,
		conference: liveConference, callUUID: liveCall, member: liveMember}
}

func (c call) failing() call { c.spanStatus, c.exception = codes.Error, true; return c }
func (c call) refusal() call { c.exception = true; return c }

// TestOutcomes drives a real Handler with recorded and generated callbacks,
// one case per outcome the Handler can produce, and checks the counter, the
// histogram and the span of every request, each span nested under the
// request's own span.
func TestOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		handler  *vobizhook.Handler // nil: the zero Handler
		requests func(t *testing.T) []*http.Request
		want     []call // one per request
	}{{
		name:     "handled enter",
		handler:  &vobizhook.Handler{OnEnter: ok},
		requests: recorded("enter-live.http"),
		want:     []call{live(vobizhook.OutcomeHandled, "enter", 200)},
	}, {
		name:     "acknowledged exit, no OnExit",
		handler:  &vobizhook.Handler{OnEnter: ok},
		requests: recorded("exit-live.http"),
		want:     []call{live(vobizhook.OutcomeAcknowledged, "exit", 200)},
	}, {
		name:     "waitSound fetch",
		handler:  &vobizhook.Handler{OnOther: ok},
		requests: recorded("waitsound-live.http"),
		want:     []call{{outcome: vobizhook.OutcomeHandled, action: "waitSound", status: 200, callUUID: liveCall}},
	}, {
		name: "an unknown action is other",
		requests: built(vobizhook.ConferenceEvent{
			Action: "attackerChosenWord", ConferenceUUID: "conf-9", CallUUID: "call-9", From: "911111111111"}),
		want: []call{{outcome: vobizhook.OutcomeAcknowledged, action: "other", status: 200,
			conference: "conf-9", callUUID: "call-9", received: "attackerChosenWord"}},
	}, {
		name: "leave, the <Conference action> request",
		requests: built(vobizhook.ConferenceEvent{
			ConferenceUUID: "conf-2", MemberID: "12", CallUUID: "call-2", CallStatus: "completed"}),
		want: []call{{outcome: vobizhook.OutcomeAcknowledged, action: "leave", status: 200,
			conference: "conf-2", callUUID: "call-2", member: "12"}},
	}, {
		name:    "signed, then its replay is a duplicate",
		handler: &vobizhook.Handler{Verifier: verifier(), OnEnter: ok},
		requests: func(t *testing.T) []*http.Request {
			r := signed(t, "enter-live.http")
			return []*http.Request{r, again(t, r)}
		},
		want: []call{live(vobizhook.OutcomeHandled, "enter", 200), live(vobizhook.OutcomeDuplicate, "enter", 200)},
	}, {
		name:     "in progress elsewhere",
		handler:  &vobizhook.Handler{Verifier: verifier(), NonceStore: nonceStore{state: vobizhook.NonceInProgress}, OnEnter: ok},
		requests: recordedSigned("enter-live.http"),
		want:     []call{live(vobizhook.OutcomeInProgress, "enter", 503)},
	}, {
		name:     "refused 403, unsigned",
		handler:  &vobizhook.Handler{Verifier: verifier(), OnEnter: ok},
		requests: recorded("enter-live.http"),
		want:     []call{call{outcome: vobizhook.OutcomeRefused, action: "", status: 403}.refusal()},
	}, {
		name:     "refused 400, no ConferenceAction",
		requests: recorded("bad/missing-action.http"),
		want:     []call{call{outcome: vobizhook.OutcomeRefused, action: "", status: 400}.refusal()},
	}, {
		name:     "refused 405, PUT",
		requests: recorded("bad/put.http"),
		want:     []call{call{outcome: vobizhook.OutcomeRefused, action: "", status: 405}.refusal()},
	}, {
		name: "failed 500, OnEnter returned an error",
		handler: &vobizhook.Handler{OnEnter: func(context.Context, vobizhook.ConferenceEvent) error {
			return errors.New("saving the member: database is down")
		}},
		requests: recorded("enter-live.http"),
		want:     []call{live(vobizhook.OutcomeFailed, "enter", 500).failing()},
	}, {
		name:     "failed 500, OnEnter panicked",
		handler:  &vobizhook.Handler{OnEnter: func(context.Context, vobizhook.ConferenceEvent) error { panic("boom") }},
		requests: recorded("enter-live.http"),
		want:     []call{live(vobizhook.OutcomeFailed, "enter", 500).failing()},
	}, {
		name: "failed with the status of the WaitSound answer",
		handler: &vobizhook.Handler{WaitSound: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
		})},
		requests: recorded("waitsound-live.http"),
		want:     []call{call{outcome: vobizhook.OutcomeFailed, action: "waitSound", status: 502, callUUID: liveCall}.failing()},
	}, {
		name:     "unavailable 503, the NonceStore fails",
		handler:  &vobizhook.Handler{Verifier: verifier(), NonceStore: nonceStore{err: errStore}, OnEnter: ok},
		requests: recordedSigned("enter-live.http"),
		want:     []call{live(vobizhook.OutcomeUnavailable, "enter", 503).failing()},
	}, {
		name: "unavailable 503, OnEnter wraps ErrUnavailable",
		handler: &vobizhook.Handler{OnEnter: func(context.Context, vobizhook.ConferenceEvent) error {
			return fmt.Errorf("queue full: %w", vobizhook.ErrUnavailable)
		}},
		requests: recorded("enter-live.http"),
		want:     []call{live(vobizhook.OutcomeUnavailable, "enter", 503).failing()},
	}, {
		name:     "misconfigured 500, a Verifier without a token",
		handler:  &vobizhook.Handler{Verifier: &vobizhook.Verifier{CallbackURL: testURL}, OnEnter: ok},
		requests: recordedSigned("enter-live.http"),
		want:     []call{call{outcome: vobizhook.OutcomeMisconfigured, action: "", status: 500}.failing()},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			h := tt.handler
			if h == nil {
				h = &vobizhook.Handler{}
			}
			h.Logger = slog.New(slog.DiscardHandler)
			h.OnOutcome = hs.hook(t, otelvobizhook.WithMeterProvider(hs.mp), otelvobizhook.WithTracerProvider(hs.tp))
			parentTracer := hs.tp.Tracer("test")

			var parents []trace.SpanContext
			reqs := tt.requests(t)
			require.Len(t, tt.want, len(reqs))
			for i, r := range reqs {
				ctx, parent := parentTracer.Start(r.Context(), "request")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r.WithContext(ctx))
				parent.End()
				require.Equal(t, tt.want[i].status, w.Code, "request %d: %s", i, w.Body)
				parents = append(parents, parent.SpanContext())
			}
			require.Len(t, hs.outcomes, len(reqs), "one Outcome per request")

			// The counter and the histogram: one per request, per attribute set.
			want := map[point]int64{}
			var wantSum float64
			for i, c := range tt.want {
				want[point{string(c.outcome), c.action, int64(c.status)}]++
				wantSum += hs.outcomes[i].Duration.Seconds()
			}
			metrics := hs.collect(t)
			require.Contains(t, metrics, otelvobizhook.CallbacksMetric)
			assert.Equal(t, "{callback}", metrics[otelvobizhook.CallbacksMetric].Unit)
			assert.Equal(t, want, counts(t, metrics[otelvobizhook.CallbacksMetric]))

			require.Contains(t, metrics, otelvobizhook.DurationMetric)
			m := metrics[otelvobizhook.DurationMetric]
			assert.Equal(t, "s", m.Unit)
			hist, isHist := m.Data.(metricdata.Histogram[float64])
			require.True(t, isHist, "%s is a %T", m.Name, m.Data)
			gotCounts := map[point]int64{}
			var gotSum float64
			for _, dp := range hist.DataPoints {
				gotCounts[pointOf(t, dp.Attributes)] += int64(dp.Count)
				gotSum += dp.Sum
				assert.Equal(t, otelvobizhook.DurationBoundaries(), dp.Bounds)
			}
			assert.Equal(t, want, gotCounts)
			assert.InDelta(t, wantSum, gotSum, 1e-9, "the histogram records Outcome.Duration in seconds")

			// One span per request, a child of the request's span.
			spans := hs.callbackSpans()
			require.Len(t, spans, len(reqs))
			for i, s := range spans {
				c, o := tt.want[i], hs.outcomes[i]
				wantName := "vobizhook.callback"
				if c.action != "" {
					wantName += " " + c.action
				}
				assert.Equal(t, wantName, s.Name())
				assert.Equal(t, trace.SpanKindInternal, s.SpanKind())
				assert.Equal(t, parents[i].SpanID(), s.Parent().SpanID(), "the request's span is the parent")
				assert.Equal(t, parents[i].TraceID(), s.SpanContext().TraceID())
				assert.Equal(t, o.Duration, s.EndTime().Sub(s.StartTime()), "the span covers Outcome.Duration")

				wantAttrs := map[attribute.Key]attribute.Value{
					otelvobizhook.OutcomeKey:    attribute.StringValue(string(c.outcome)),
					otelvobizhook.ActionKey:     attribute.StringValue(c.action),
					"http.response.status_code": attribute.IntValue(c.status),
				}
				for k, v := range map[attribute.Key]string{
					otelvobizhook.ConferenceUUIDKey: c.conference, otelvobizhook.CallUUIDKey: c.callUUID,
					otelvobizhook.MemberIDKey: c.member, otelvobizhook.ReceivedActionKey: c.received,
				} {
					if v != "" {
						wantAttrs[k] = attribute.StringValue(v)
					}
				}
				if c.spanStatus == codes.Error {
					wantAttrs["error.type"] = attribute.StringValue(string(c.outcome))
				}
				assert.Equal(t, wantAttrs, attrMap(s.Attributes()))

				assert.Equal(t, c.spanStatus, s.Status().Code)
				var exceptions []sdktrace.Event
				for _, e := range s.Events() {
					if e.Name == "exception" {
						exceptions = append(exceptions, e)
					}
				}
				if !c.exception {
					assert.Empty(t, exceptions)
					continue
				}
				require.Len(t, exceptions, 1)
				require.Error(t, o.Err)
				assert.Equal(t, attribute.StringValue(o.Err.Error()), attrMap(exceptions[0].Attributes)["exception.message"])
				if c.spanStatus == codes.Error {
					assert.Equal(t, o.Err.Error(), s.Status().Description)
				}
			}
			assertNoPhoneNumbers(t, spans, hs.outcomes)
		})
	}
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// assertNoPhoneNumbers checks that the From and To numbers the Handler
// decoded appear nowhere on the spans: not in a name, an attribute, an
// event or the status.
func assertNoPhoneNumbers(t *testing.T, spans []sdktrace.ReadOnlySpan, outcomes []vobizhook.Outcome) {
	t.Helper()
	numbers := []string{liveFrom, liveTo}
	for _, o := range outcomes {
		if o.Event != nil {
			numbers = append(numbers, o.Event.From, o.Event.To)
		}
	}
	for _, s := range spans {
		texts := []string{s.Name(), s.Status().Description}
		kvs := s.Attributes()
		for _, e := range s.Events() {
			kvs = append(kvs, e.Attributes...)
		}
		for _, kv := range kvs {
			texts = append(texts, kv.Value.String())
		}
		for _, n := range numbers {
			if n == "" {
				continue
			}
			for _, text := range texts {
				assert.NotContains(t, text, n, "span %q carries a phone number", s.Name())
			}
		}
	}
}

// TestSpanWithoutParent: without a span in the request's context, the
// callback's span is a root span.
func TestSpanWithoutParent(t *testing.T) {
	hs := newHarness(t)
	h := &vobizhook.Handler{OnEnter: ok, Logger: slog.New(slog.DiscardHandler),
		OnOutcome: hs.hook(t, otelvobizhook.WithMeterProvider(hs.mp), otelvobizhook.WithTracerProvider(hs.tp))}
	h.ServeHTTP(httptest.NewRecorder(), parse(t, "enter-live.http"))
	spans := hs.callbackSpans()
	require.Len(t, spans, 1)
	assert.False(t, spans[0].Parent().IsValid(), "a root span")
	assert.True(t, spans[0].SpanContext().IsValid())
}

// TestConcurrentRequests serves a conference with duplicated deliveries
// from several goroutines: every request is counted, timed and traced once.
func TestConcurrentRequests(t *testing.T) {
	hs := newHarness(t)
	onOutcome, err := otelvobizhook.New(otelvobizhook.WithMeterProvider(hs.mp), otelvobizhook.WithTracerProvider(hs.tp))
	require.NoError(t, err)
	h := &vobizhook.Handler{Verifier: verifier(), OnEnter: ok, OnExit: ok, OnOutcome: onOutcome,
		Logger: slog.New(slog.DiscardHandler)}
	sc := vobizhooktest.Scenario{Participants: 25, Seed: 7, Shuffle: true, Duplicates: 0.4}
	reqs := sc.MustRequests(t, vobizhooktest.WithURL(testURL), vobizhooktest.WithAuthToken(testToken))

	work := make(chan *http.Request)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for r := range work {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
		}()
	}
	for _, r := range reqs {
		work <- r
	}
	close(work)
	for range 4 {
		<-done
	}

	metrics := hs.collect(t)
	var total int64
	for p, n := range counts(t, metrics[otelvobizhook.CallbacksMetric]) {
		assert.Contains(t, []string{"enter", "exit"}, p.action)
		total += n
	}
	assert.Equal(t, int64(len(reqs)), total)
	var timed uint64
	for _, dp := range metrics[otelvobizhook.DurationMetric].Data.(metricdata.Histogram[float64]).DataPoints {
		timed += dp.Count
	}
	assert.Equal(t, uint64(len(reqs)), timed)
	assert.Len(t, hs.callbackSpans(), len(reqs))
}

// TestSpanNamesAreBounded: whatever actions clients send, the span names
// and the metric attribute values stay within the known set plus "other".
func TestSpanNamesAreBounded(t *testing.T) {
	hs := newHarness(t)
	h := &vobizhook.Handler{Logger: slog.New(slog.DiscardHandler),
		OnOutcome: hs.hook(t, otelvobizhook.WithMeterProvider(hs.mp), otelvobizhook.WithTracerProvider(hs.tp))}
	for i := range 50 {
		r := vobizhooktest.MustNewRequest(t, vobizhook.ConferenceEvent{
			Action: vobizhook.Action(fmt.Sprintf("word%d", i)), ConferenceUUID: "c", CallUUID: fmt.Sprintf("call-%d", i)})
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	got := counts(t, hs.collect(t)[otelvobizhook.CallbacksMetric])
	assert.Equal(t, map[point]int64{{"acknowledged", "other", 200}: 50}, got)
	names := map[string]bool{}
	for _, s := range hs.callbackSpans() {
		names[s.Name()] = true
	}
	assert.Equal(t, map[string]bool{"vobizhook.callback other": true}, names)
}

func TestActionNames(t *testing.T) {
	// The known actions map to themselves, letter case included: the
	// Handler dispatches "Enter" to OnOther, and so it is "other" here.
	tests := []struct {
		action vobizhook.Action
		want   string
	}{
		{vobizhook.ActionEnter, "enter"}, {vobizhook.ActionExit, "exit"},
		{vobizhook.ActionStart, "start"}, {vobizhook.ActionEnd, "end"},
		{vobizhook.ActionWaitSound, "waitSound"}, {vobizhook.ActionFloor, "floor"},
		{vobizhook.ActionDigits, "digits"}, {vobizhook.ActionRecord, "record"},
		{vobizhook.ActionLeave, "leave"},
		{"Enter", "other"}, {"mute", "other"}, {"", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			hs := newHarness(t)
			onOutcome := hs.hook(t, otelvobizhook.WithMeterProvider(hs.mp), otelvobizhook.WithTracerProvider(hs.tp))
			o := vobizhook.Outcome{Kind: vobizhook.OutcomeAcknowledged, Status: 200, Action: tt.action}
			if tt.action != "" {
				o.Event = &vobizhook.ConferenceEvent{Action: tt.action}
			}
			onOutcome(context.Background(), o)
			assert.Equal(t, map[point]int64{{"acknowledged", tt.want, 200}: 1},
				counts(t, hs.collect(t)[otelvobizhook.CallbacksMetric]))
			spans := hs.callbackSpans()
			require.Len(t, spans, 1)
			assert.Equal(t, strings.TrimSpace("vobizhook.callback "+tt.want), spans[0].Name())
		})
	}
}

// TestManyAttributeSets: past the cache of attribute sets, measurements
// are still made with their own attributes.
func TestManyAttributeSets(t *testing.T) {
	hs := newHarness(t)
	onOutcome := hs.hook(t, otelvobizhook.WithMeterProvider(hs.mp))
	want := map[point]int64{}
	for status := 100; status < 1600; status++ {
		for range 2 {
			onOutcome(context.Background(), vobizhook.Outcome{Kind: vobizhook.OutcomeFailed, Status: status, Action: vobizhook.ActionEnter})
		}
		want[point{"failed", "enter", int64(status)}] = 2
	}
	assert.Equal(t, want, counts(t, hs.collect(t)[otelvobizhook.CallbacksMetric]))
}
