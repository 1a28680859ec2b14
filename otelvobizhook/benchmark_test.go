package otelvobizhook_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
)

// BenchmarkOnOutcome is the cost New's func adds to each request, with the
// OTel SDK (metrics on a ManualReader never collected; spans sampled and
// recorded, exported nowhere) and with the global no-op providers.
func BenchmarkOnOutcome(b *testing.B) {
	ev := &vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter,
		ConferenceUUID: "b6c2e1a4-0d7f-4a52-9a61-2f0c5e9d8a10", CallUUID: "c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45", MemberID: "249"}
	o := vobizhook.Outcome{Kind: vobizhook.OutcomeHandled, Status: 200, Action: ev.Action, Event: ev, Duration: 120 * time.Microsecond}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider()
	ctx, parent := tp.Tracer("bench").Start(context.Background(), "request")
	defer parent.End()
	for _, bc := range []struct {
		name string
		opts []otelvobizhook.Option
		ctx  context.Context
	}{
		{"noop", nil, context.Background()},
		{"metrics", []otelvobizhook.Option{otelvobizhook.WithMeterProvider(mp)}, context.Background()},
		{"metrics+span", []otelvobizhook.Option{otelvobizhook.WithMeterProvider(mp), otelvobizhook.WithTracerProvider(tp)}, ctx},
	} {
		b.Run(bc.name, func(b *testing.B) {
			onOutcome, err := otelvobizhook.New(bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				onOutcome(bc.ctx, o)
			}
		})
	}
	_ = trace.SpanFromContext(ctx)
}
