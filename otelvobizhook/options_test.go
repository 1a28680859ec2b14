package otelvobizhook_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
)

// TestOptions: which providers New records with, and when it traces. The
// global providers are set to a second harness, so that a recording on the
// wrong provider shows.
func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts func(local *harness) []otelvobizhook.Option
		// Where the counter and the spans must land.
		metricsLocal bool
		spans        string // "", "local" or "global"
	}{
		{name: "defaults: global meter, no spans",
			opts: func(*harness) []otelvobizhook.Option { return nil }},
		{name: "nil options are ignored",
			opts: func(*harness) []otelvobizhook.Option { return []otelvobizhook.Option{nil} }},
		{name: "WithMeterProvider(nil) is the global one",
			opts: func(*harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithMeterProvider(nil)}
			}},
		{name: "WithMeterProvider of a nil pointer is the global one",
			opts: func(*harness) []otelvobizhook.Option {
				var unset *sdkmetric.MeterProvider // a variable set only when metrics are on
				return []otelvobizhook.Option{otelvobizhook.WithMeterProvider(unset)}
			}},
		{name: "WithTracerProvider of a nil pointer traces with the global one",
			opts: func(*harness) []otelvobizhook.Option {
				var unset *sdktrace.TracerProvider
				return []otelvobizhook.Option{otelvobizhook.WithTracerProvider(unset)}
			},
			spans: "global"},
		{name: "WithMeterProvider",
			opts: func(l *harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithMeterProvider(l.mp)}
			},
			metricsLocal: true},
		{name: "WithTracing(true): the global tracer",
			opts: func(*harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithTracing(true)}
			},
			spans: "global"},
		{name: "WithTracerProvider implies tracing",
			opts: func(l *harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithTracerProvider(l.tp)}
			},
			spans: "local"},
		{name: "WithTracerProvider(nil) traces with the global one",
			opts: func(*harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithTracerProvider(nil)}
			},
			spans: "global"},
		{name: "WithTracing(false) wins, after",
			opts: func(l *harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithTracerProvider(l.tp), otelvobizhook.WithTracing(false)}
			}},
		{name: "WithTracing(false) wins, before",
			opts: func(l *harness) []otelvobizhook.Option {
				return []otelvobizhook.Option{otelvobizhook.WithTracing(false), otelvobizhook.WithTracerProvider(l.tp)}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, global := newHarness(t), newHarness(t)
			setGlobals(t, global)
			onOutcome, err := otelvobizhook.New(tt.opts(local)...)
			require.NoError(t, err)
			onOutcome(context.Background(), vobizhook.Outcome{Kind: vobizhook.OutcomeHandled, Status: 200, Action: vobizhook.ActionEnter})

			want := map[point]int64{{"handled", "enter", 200}: 1}
			on, off := global, local
			if tt.metricsLocal {
				on, off = local, global
			}
			assert.Equal(t, want, counts(t, on.collect(t)[otelvobizhook.CallbacksMetric]))
			assert.NotContains(t, off.collect(t), otelvobizhook.CallbacksMetric)

			wantLocal, wantGlobal := 0, 0
			switch tt.spans {
			case "local":
				wantLocal = 1
			case "global":
				wantGlobal = 1
			}
			assert.Len(t, local.callbackSpans(), wantLocal, "spans on the given TracerProvider")
			assert.Len(t, global.callbackSpans(), wantGlobal, "spans on the global TracerProvider")
		})
	}
}

// TestGlobalSetLater: New may run before the application sets the global
// MeterProvider (in a package-level var, say); the instruments follow it.
// The global provider delegates only until the first otel.SetMeterProvider
// of the process, so the test runs in a fresh process of its own.
func TestGlobalSetLater(t *testing.T) {
	if os.Getenv("OTELVOBIZHOOK_FRESH_PROCESS") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalSetLater$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "OTELVOBIZHOOK_FRESH_PROCESS=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "--- PASS: TestGlobalSetLater")
		return
	}
	onOutcome, err := otelvobizhook.New()
	require.NoError(t, err)
	hs := newHarness(t)
	setGlobals(t, hs)
	onOutcome(context.Background(), vobizhook.Outcome{Kind: vobizhook.OutcomeRefused, Status: 403})
	assert.Equal(t, map[point]int64{{"refused", "", 403}: 1}, counts(t, hs.collect(t)[otelvobizhook.CallbacksMetric]))
}

// setGlobals makes h's providers the global ones for the test.
func setGlobals(t *testing.T, h *harness) {
	mp, tp := otel.GetMeterProvider(), otel.GetTracerProvider()
	otel.SetMeterProvider(h.mp)
	otel.SetTracerProvider(h.tp)
	t.Cleanup(func() {
		otel.SetMeterProvider(mp)
		otel.SetTracerProvider(tp)
	})
}

var errRefused = errors.New("meter: instrument refused")

// refusingMeter is a Meter that refuses to create the instrument named
// refuse.
type refusingMeter struct {
	noop.Meter
	refuse string
}

func (m refusingMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	if name == m.refuse {
		return nil, errRefused
	}
	return m.Meter.Int64Counter(name, opts...)
}

func (m refusingMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	if name == m.refuse {
		return nil, errRefused
	}
	return m.Meter.Float64Histogram(name, opts...)
}

type refusingProvider struct {
	noop.MeterProvider
	refuse string
}

func (p refusingProvider) Meter(string, ...metric.MeterOption) metric.Meter {
	return refusingMeter{refuse: p.refuse}
}

// TestNewInstrumentErrors: an instrument the MeterProvider refuses is New's
// error, naming it and wrapping the provider's error.
func TestNewInstrumentErrors(t *testing.T) {
	tests := []struct {
		refuse, want string
	}{
		{otelvobizhook.CallbacksMetric, "otelvobizhook: creating the vobizhook.callbacks counter: meter: instrument refused"},
		{otelvobizhook.DurationMetric, "otelvobizhook: creating the vobizhook.callback.duration histogram: meter: instrument refused"},
	}
	for _, tt := range tests {
		t.Run(tt.refuse, func(t *testing.T) {
			onOutcome, err := otelvobizhook.New(otelvobizhook.WithMeterProvider(refusingProvider{refuse: tt.refuse}))
			require.ErrorIs(t, err, errRefused)
			assert.EqualError(t, err, tt.want)
			assert.Nil(t, onOutcome)
		})
	}
}
