package otelvobizhook_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// TestNestsUnderOtelhttp: behind otelhttp.NewHandler, on a real server,
// the callback's span is a child of otelhttp's server span.
func TestNestsUnderOtelhttp(t *testing.T) {
	hs := newHarness(t)
	h := &vobizhook.Handler{OnEnter: ok, Logger: slog.New(slog.DiscardHandler),
		OnOutcome: hs.hook(t, otelvobizhook.WithMeterProvider(hs.mp), otelvobizhook.WithTracerProvider(hs.tp))}
	srv := httptest.NewServer(otelhttp.NewHandler(h, "conference-events",
		otelhttp.WithTracerProvider(hs.tp), otelhttp.WithMeterProvider(hs.mp)))
	defer srv.Close()

	r := vobizhooktest.MustResign(t, parse(t, "enter-live.http"), srv.URL+"/conference-events", "")
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(vobizhooktest.MustClientRequest(t, r))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var server, callback []trace.SpanContext
	var callbackParent trace.SpanContext
	for _, s := range hs.spans.Ended() {
		switch {
		case s.SpanKind() == trace.SpanKindServer:
			server = append(server, s.SpanContext())
		case s.InstrumentationScope().Name == otelvobizhook.ScopeName:
			callback = append(callback, s.SpanContext())
			callbackParent = s.Parent()
			assert.Equal(t, "vobizhook.callback enter", s.Name())
		}
	}
	require.Len(t, server, 1, "otelhttp's server span")
	require.Len(t, callback, 1, "the callback's span")
	assert.Equal(t, server[0].SpanID(), callbackParent.SpanID())
	assert.Equal(t, server[0].TraceID(), callback[0].TraceID())
}
