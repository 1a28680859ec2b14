package otelvobizhook_test

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
)

// The README's snippet of spans nested under otelhttp, compiled.
func readmeSpans(mux *http.ServeMux, v *vobizhook.Verifier, onEnter func(context.Context, vobizhook.ConferenceEvent) error) error {
	onOutcome, err := otelvobizhook.New(otelvobizhook.WithTracing(true)) // the global providers
	if err != nil {
		return err
	}
	h := &vobizhook.Handler{Verifier: v, OnEnter: onEnter, OnOutcome: onOutcome}
	mux.Handle("/conference-events", otelhttp.NewHandler(h, "conference-events"))
	return nil
}

// The snippet is compiled, not run.
var _ = readmeSpans
