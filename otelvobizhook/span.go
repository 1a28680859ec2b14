package otelvobizhook

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/vobizhook/vobizhook"
)

// span records o as a span that started o.Duration before end, the start of
// ServeHTTP, and ends at end; its parent is the span in ctx, if any.
func (r *recorder) span(ctx context.Context, o vobizhook.Outcome, act action, end time.Time) {
	_, span := r.tracer.Start(ctx, act.spanName,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(end.Add(-o.Duration)))
	if span.IsRecording() {
		attrs := make([]attribute.KeyValue, 0, 7)
		attrs = append(attrs,
			OutcomeKey.String(string(o.Kind)),
			ActionKey.String(act.value),
			semconv.HTTPResponseStatusCode(o.Status))
		if ev := o.Event; ev != nil {
			attrs = appendNonEmpty(attrs, ConferenceUUIDKey, ev.ConferenceUUID)
			attrs = appendNonEmpty(attrs, CallUUIDKey, ev.CallUUID)
			attrs = appendNonEmpty(attrs, MemberIDKey, ev.MemberID)
		}
		if act.value == ActionOther {
			attrs = append(attrs, ReceivedActionKey.String(string(o.Action)))
		}
		if isError(o) {
			attrs = append(attrs, semconv.ErrorTypeKey.String(string(o.Kind)))
		}
		span.SetAttributes(attrs...)
		setStatus(span, o)
	}
	span.End(trace.WithTimestamp(end))
}

func appendNonEmpty(attrs []attribute.KeyValue, key attribute.Key, v string) []attribute.KeyValue {
	if v == "" {
		return attrs
	}
	return append(attrs, key.String(v))
}

// isError reports whether o is the server's failure: a func failed, a
// dependency was unavailable or the server is misconfigured. A refusal (4xx)
// is the client's fault and an in-progress 503 asks for a retry by design;
// an outcome kind newer than this package counts as an error when its
// status is a 5xx.
func isError(o vobizhook.Outcome) bool {
	switch o.Kind {
	case vobizhook.OutcomeFailed, vobizhook.OutcomeUnavailable, vobizhook.OutcomeMisconfigured:
		return true
	case vobizhook.OutcomeHandled, vobizhook.OutcomeAcknowledged, vobizhook.OutcomeDuplicate,
		vobizhook.OutcomeInProgress, vobizhook.OutcomeRefused:
		return false
	}
	return o.Status >= 500
}

// setStatus sets the span's status from o and records o.Err: as the error of
// a failure (status Error, described by the error's text), or as the reason
// of a refusal (status left unset).
func setStatus(span trace.Span, o vobizhook.Outcome) {
	if isError(o) {
		desc := string(o.Kind)
		if o.Err != nil {
			span.RecordError(o.Err)
			desc = o.Err.Error()
		}
		span.SetStatus(codes.Error, desc)
		return
	}
	if o.Kind == vobizhook.OutcomeRefused && o.Err != nil {
		span.RecordError(o.Err)
	}
}
