package vobizxml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// Response is the answer XML returned to Vobiz from an answer URL (or a
// waitSound or action URL): <Response> with its verbs, executed in order.
// Build one with [NewResponse] or a struct literal:
//
//	vobizxml.NewResponse(
//		vobizxml.Speak{Text: "Joining the stand-up."},
//		vobizxml.Conference{Room: "standup", CallbackURL: "https://app.example/conference-events"},
//	)
//
// A Response is an [http.Handler] serving itself, so a fixed answer mounts
// directly (mux.Handle("/answer", resp)); for an answer that depends on the
// request, build it in your handler and call its ServeHTTP or [Response.WriteTo].
// Every way of rendering it validates it first and writes nothing when it is
// invalid.
type Response struct {
	// Verbs are the elements of <Response>, rendered in this order. An empty
	// Response is valid XML; Vobiz then leaves the call without instructions.
	Verbs []Verb
}

// NewResponse returns a Response with the given verbs, in order.
func NewResponse(verbs ...Verb) Response { return Response{Verbs: verbs} }

// Validate reports every problem with r's verbs, each an *[AttrError]
// (joined with errors.Join when there are several), or nil. A nil verb is
// reported with Element "Response".
func (r Response) Validate() error {
	var errs []error
	for i, v := range r.Verbs {
		if isNilVerb(v) {
			errs = append(errs, &AttrError{Element: "Response", Reason: "verb " + strconv.Itoa(i) + " is nil", Err: ErrInvalidAttr})
			continue
		}
		errs = v.validate(errs)
	}
	return joined(errs)
}

func isNilVerb(v Verb) bool {
	switch p := v.(type) {
	case nil:
		return true
	case *Conference:
		return p == nil
	case *Speak:
		return p == nil
	case *Play:
		return p == nil
	case *Wait:
		return p == nil
	case *Hangup:
		return p == nil
	}
	return false
}

// MarshalXML validates r and writes it as <Response> with its verbs in
// order; xml.Marshal(r) therefore fails rather than produce XML Vobiz would
// reject. Use [Response.Bytes] for a complete document with the XML header.
func (r Response) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := e.EncodeToken(responseStart); err != nil {
		return err
	}
	for _, v := range r.Verbs {
		if err := v.encode(e); err != nil {
			return err
		}
	}
	return e.EncodeToken(responseStart.End())
}

// UnmarshalXML reads a <Response> made of the verbs this package knows, so
// an answer can be parsed back (in tests, say) with xml.Unmarshal. Verbs
// are decoded as values, not validated; any other child element is an
// error.
func (r *Response) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	r.Verbs = nil
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			v, err := decodeVerb(d, &t)
			if err != nil {
				return err
			}
			r.Verbs = append(r.Verbs, v)
		}
	}
}

func decodeVerb(d *xml.Decoder, start *xml.StartElement) (Verb, error) {
	switch start.Name.Local {
	case "Conference":
		var v conferenceXML
		err := d.DecodeElement(&v, start)
		return Conference(v), err
	case "Speak":
		var v speakXML
		err := d.DecodeElement(&v, start)
		return Speak(v), err
	case "Play":
		var v playXML
		err := d.DecodeElement(&v, start)
		return Play(v), err
	case "Wait":
		var v waitXML
		err := d.DecodeElement(&v, start)
		return Wait(v), err
	case "Hangup":
		var v hangupXML
		err := d.DecodeElement(&v, start)
		return Hangup(v), err
	}
	return nil, fmt.Errorf("vobizxml: unsupported element <%s> in <Response>", start.Name.Local)
}

// xmlIndent matches the layout of Vobiz's documentation examples.
const xmlIndent = "    "

// render appends the complete document to buf.
func (r Response) render(buf *bytes.Buffer) error {
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(buf)
	enc.Indent("", xmlIndent)
	if err := enc.Encode(r); err != nil {
		return err
	}
	buf.WriteByte('\n')
	return nil
}

// Bytes validates r and returns the complete answer document: the
// `<?xml version="1.0" encoding="UTF-8"?>` header, then <Response>, indented.
// On error it returns nil and the validation error (see [AttrError]).
func (r Response) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256)
	if err := r.render(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTo validates and renders r into memory, then writes the document to
// w; nothing is written when r is invalid. It implements io.WriterTo.
func (r Response) WriteTo(w io.Writer) (int64, error) {
	b, err := r.Bytes()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// ServeHTTP answers any request with r's document, status 200 and
// Content-Type application/xml (what Vobiz requires; text/html would fail
// the call).
//
// When r is invalid, nothing of it is sent: the error is logged with
// slog.Default at Error level and the answer is a 500 with a short
// plain-text body (Vobiz then ends the call). The error names the element
// and attribute, never a value. Validate your Response at start-up, or in a
// test, to catch this before a caller does.
func (r Response) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, err := r.Bytes()
	if err != nil {
		slog.Default().LogAttrs(req.Context(), slog.LevelError, "vobizxml: answer XML is invalid; answering 500",
			slog.String("path", req.URL.Path),
			slog.Any("error", err))
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "vobizxml: invalid answer XML\n")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
