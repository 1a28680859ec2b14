package otelvobizhook

// Design notes. The hook runs on the request's goroutine after the answer
// is written, so it does the least it can: the attribute set of each
// (outcome, action, status) is built once and shared by the counter and the
// histogram, and span work is done only when a span is recording. The bounded values (actions, span names) are a fixed table
// built once. Instruments are created by New, so a MeterProvider that
// refuses one is an error there, never a panic or a silent no-op later.

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/vobizhook/vobizhook"
)

// ScopeName is the instrumentation scope of the Meter and the Tracer that
// New uses: the import path of this package.
const ScopeName = "github.com/vobizhook/vobizhook/otelvobizhook"

// The names of the instruments New creates, for SDK Views and queries.
const (
	// CallbacksMetric counts the requests a Handler answered (unit
	// {callback}).
	CallbacksMetric = "vobizhook.callbacks"
	// DurationMetric is the histogram of the time from the start of
	// ServeHTTP to the answer, in seconds.
	DurationMetric = "vobizhook.callback.duration"
)

// The attribute keys this package sets. The vobizhook.* keys are bounded
// and on metrics and spans alike; the vobiz.* keys carry values Vobiz sent,
// unbounded, and are only on spans.
const (
	// OutcomeKey is the outcome kind: handled, acknowledged, duplicate,
	// in-progress, refused, failed, unavailable or misconfigured.
	OutcomeKey = attribute.Key("vobizhook.outcome")
	// ActionKey is the callback's action when vobizhook knows it (enter,
	// exit, start, end, waitSound, floor, digits, record, leave), "other"
	// for any other, "" for a request refused before it was decoded.
	ActionKey = attribute.Key("vobizhook.action")
	// ConferenceUUIDKey is the callback's ConferenceUUID (spans only).
	ConferenceUUIDKey = attribute.Key("vobiz.conference.uuid")
	// CallUUIDKey is the callback's CallUUID (spans only).
	CallUUIDKey = attribute.Key("vobiz.call.uuid")
	// MemberIDKey is the callback's ConferenceMemberID (spans only).
	MemberIDKey = attribute.Key("vobiz.conference.member_id")
	// ReceivedActionKey is the ConferenceAction as received, set on a span
	// only when ActionKey is "other".
	ReceivedActionKey = attribute.Key("vobiz.conference.action")
)

// ActionOther is the ActionKey value of an action vobizhook does not know.
const ActionOther = "other"

// DurationBoundaries returns the explicit bucket boundaries, in seconds, of
// the DurationMetric histogram: fine below 100 ms, where a healthy callback
// answers, and a boundary at 3 s, the time Vobiz waits for an answer before
// it retries. The slice is a copy.
func DurationBoundaries() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5}
}

// An Option configures New.
type Option func(*config)

type config struct {
	mp      metric.MeterProvider
	tp      trace.TracerProvider
	tpSet   bool  // WithTracerProvider was given
	tracing *bool // WithTracing was given
}

// WithMeterProvider records the metrics with mp instead of the global
// MeterProvider (otel.GetMeterProvider). A nil mp (or a nil pointer in it)
// means the global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithTracerProvider records a span per callback with tp, and implies
// WithTracing(true) unless WithTracing(false) is also given. A nil tp (or a
// nil pointer in it) means the global TracerProvider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp, c.tpSet = tp, true }
}

// WithTracing turns the span per callback on or off; it is off by default,
// unless WithTracerProvider is given. WithTracing(true) alone uses the
// global TracerProvider. An explicit WithTracing wins over
// WithTracerProvider, in whichever order they are given.
func WithTracing(on bool) Option {
	return func(c *config) { c.tracing = &on }
}

// New returns a func to set as vobizhook.Handler.OnOutcome that records
// every answer on the CallbacksMetric counter and the DurationMetric
// histogram and, when tracing is on, as a span; see the package
// documentation for the attributes. The func is safe for concurrent use,
// and one func may serve several Handlers (their requests add up).
//
// Without options it uses the global MeterProvider, and no spans. With the
// global providers, New may be called before otel.SetMeterProvider: the
// instruments follow the provider set later.
//
// The error says which instrument the MeterProvider refused to create, and
// wraps its error.
func New(opts ...Option) (func(context.Context, vobizhook.Outcome), error) {
	var c config
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	mp := c.mp
	if isNil(mp) {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter(ScopeName)
	calls, err := meter.Int64Counter(CallbacksMetric,
		metric.WithUnit("{callback}"),
		metric.WithDescription("Vobiz callbacks answered, by outcome, action and HTTP status."))
	if err != nil {
		return nil, fmt.Errorf("otelvobizhook: creating the %s counter: %w", CallbacksMetric, err)
	}
	duration, err := meter.Float64Histogram(DurationMetric,
		metric.WithUnit("s"),
		metric.WithDescription("Time from the start of ServeHTTP to the answer of a Vobiz callback."),
		metric.WithExplicitBucketBoundaries(DurationBoundaries()...))
	if err != nil {
		return nil, fmt.Errorf("otelvobizhook: creating the %s histogram: %w", DurationMetric, err)
	}
	r := &recorder{calls: calls, duration: duration, sets: map[setKey]*measureOpts{}}
	if c.tracing == nil && c.tpSet || c.tracing != nil && *c.tracing {
		tp := c.tp
		if isNil(tp) {
			tp = otel.GetTracerProvider()
		}
		r.tracer = tp.Tracer(ScopeName)
	}
	return r.record, nil
}

// recorder holds the instruments of one New.
type recorder struct {
	calls    metric.Int64Counter
	duration metric.Float64Histogram
	tracer   trace.Tracer // nil: no spans

	mu   sync.RWMutex
	sets map[setKey]*measureOpts
}

// setKey is the attributes of a measurement.
type setKey struct {
	kind   vobizhook.OutcomeKind
	action string
	status int
}

// measureOpts is the options of the measurements of one attribute set,
// made once per set: building an attribute set allocates, and a Handler
// sees a few dozen sets at most.
type measureOpts struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// maxSets bounds the cache of measureOpts. The sets are bounded anyway (a
// few outcomes, actions and statuses); past this many, each measurement
// builds its own.
const maxSets = 1024

// opts returns the measurement options for k.
func (r *recorder) opts(k setKey) *measureOpts {
	r.mu.RLock()
	m, ok := r.sets[k]
	r.mu.RUnlock()
	if ok {
		return m
	}
	opt := metric.WithAttributeSet(attribute.NewSet(
		OutcomeKey.String(string(k.kind)),
		ActionKey.String(k.action),
		semconv.HTTPResponseStatusCode(k.status)))
	m = &measureOpts{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}}
	r.mu.Lock()
	if len(r.sets) < maxSets {
		r.sets[k] = m
	}
	r.mu.Unlock()
	return m
}

// record is the OnOutcome func.
func (r *recorder) record(ctx context.Context, o vobizhook.Outcome) {
	end := time.Now()
	act := boundedAction(o)
	m := r.opts(setKey{kind: o.Kind, action: act.value, status: o.Status})
	r.calls.Add(ctx, 1, m.add...)
	r.duration.Record(ctx, o.Duration.Seconds(), m.record...)
	if r.tracer != nil {
		r.span(ctx, o, act, end)
	}
}

// action is one bounded action value and the name of its spans.
type action struct {
	value    string
	spanName string
}

// actions maps each action vobizhook knows to itself: every other
// ConferenceAction is ActionOther.
var actions = func() map[vobizhook.Action]action {
	m := map[vobizhook.Action]action{}
	for _, a := range []vobizhook.Action{
		vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionStart, vobizhook.ActionEnd,
		vobizhook.ActionWaitSound, vobizhook.ActionFloor, vobizhook.ActionDigits, vobizhook.ActionRecord,
		vobizhook.ActionLeave,
	} {
		m[a] = action{value: string(a), spanName: spanName + " " + string(a)}
	}
	return m
}()

const spanName = "vobizhook.callback"

var (
	actionOther = action{value: ActionOther, spanName: spanName + " " + ActionOther}
	actionNone  = action{value: "", spanName: spanName}
)

// boundedAction returns the bounded action of o: "" for a request refused
// before it was decoded, which has no action.
func boundedAction(o vobizhook.Outcome) action {
	if o.Action == "" {
		return actionNone
	}
	if a, ok := actions[o.Action]; ok {
		return a
	}
	return actionOther
}

// isNil reports whether p is nil, or an interface holding a nil pointer
// (var mp *sdkmetric.MeterProvider left unset and passed on), which the SDK
// would dereference.
func isNil(p any) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
