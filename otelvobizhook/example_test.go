package otelvobizhook_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// onEnter stands for the application's own func.
func onEnter(ctx context.Context, ev vobizhook.ConferenceEvent) error { return nil }

// New's func counts every answer by outcome: here a signed enter, its
// replay and a forged request, read back with an SDK ManualReader.
func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	onOutcome, err := otelvobizhook.New(otelvobizhook.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		log.Fatal(err)
	}
	h := &vobizhook.Handler{
		Verifier:  &vobizhook.Verifier{AuthTokens: []string{"test-token"}, CallbackURL: "https://app.example/conference-events"},
		OnEnter:   onEnter,
		OnOutcome: onOutcome,
		Logger:    slog.New(slog.DiscardHandler), // quiet for the example
	}

	ev := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "conf-1", CallUUID: "call-1", From: "918071387423"}
	for _, opts := range [][]vobizhooktest.Option{
		{vobizhooktest.WithAuthToken("test-token"), vobizhooktest.WithNonce("12345678901234567890")},
		{vobizhooktest.WithAuthToken("test-token"), vobizhooktest.WithNonce("12345678901234567890")}, // a replay
		{vobizhooktest.WithAuthToken("forged-token")},
	} {
		r, err := vobizhooktest.NewRequest(ev, append(opts, vobizhooktest.WithURL("https://app.example/conference-events"))...)
		if err != nil {
			log.Fatal(err)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, dp := range sum.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} %d", m.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// vobizhook.callbacks{http.response.status_code=200,vobizhook.action=enter,vobizhook.outcome=duplicate} 1
	// vobizhook.callbacks{http.response.status_code=200,vobizhook.action=enter,vobizhook.outcome=handled} 1
	// vobizhook.callbacks{http.response.status_code=403,vobizhook.action=,vobizhook.outcome=refused} 1
}

// With tracing on, each callback's span nests under otelhttp's span of the
// request (read back here with an SDK SpanRecorder).
func ExampleWithTracing() {
	spans := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	onOutcome, err := otelvobizhook.New(otelvobizhook.WithTracerProvider(tracer)) // implies WithTracing(true)
	if err != nil {
		log.Fatal(err)
	}
	h := &vobizhook.Handler{OnEnter: onEnter, OnOutcome: onOutcome, Logger: slog.New(slog.DiscardHandler)}
	handler := otelhttp.NewHandler(h, "conference-events", otelhttp.WithTracerProvider(tracer))

	r, err := vobizhooktest.NewRequest(vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "conf-1", CallUUID: "call-1"})
	if err != nil {
		log.Fatal(err)
	}
	handler.ServeHTTP(httptest.NewRecorder(), r)

	names := map[[8]byte]string{}
	for _, s := range spans.Ended() {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	for _, s := range spans.Ended() {
		if parent, ok := names[s.Parent().SpanID()]; ok {
			fmt.Printf("%q is a child of %q\n", s.Name(), parent)
			for _, kv := range s.Attributes() {
				if kv.Key == otelvobizhook.ConferenceUUIDKey || kv.Key == otelvobizhook.CallUUIDKey {
					fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
				}
			}
		}
	}
	// Output:
	// "vobizhook.callback enter" is a child of "POST"
	//   vobiz.conference.uuid=conf-1
	//   vobiz.call.uuid=call-1
}

// Serving the metrics to Prometheus with the OTel Prometheus exporter: the
// counter is scraped as vobizhook_callbacks_total and the histogram as
// vobizhook_callback_duration_seconds. (The README shows this function's
// body; readme_test.go checks that they agree.)
func Example_prometheus() {
	exporter, err := prometheus.New() // registers with prometheus.DefaultRegisterer
	if err != nil {
		log.Fatal(err)
	}
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	onOutcome, err := otelvobizhook.New(otelvobizhook.WithMeterProvider(meters))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/conference-events", &vobizhook.Handler{
		Verifier:  &vobizhook.Verifier{AuthTokens: []string{os.Getenv("VOBIZ_AUTH_TOKEN")}, CallbackURL: "https://app.example/conference-events"},
		OnEnter:   onEnter,
		OnOutcome: onOutcome,
	})
	mux.Handle("/metrics", promhttp.Handler())
	srv := &http.Server{Addr: ":8080", Handler: mux, // with the timeouts of "Server timeouts"
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
