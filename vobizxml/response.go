package vobizxml

import (
	"bytes"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// Response is the answer XML returned to Vobiz from an answer URL (or a
// waitSound, action or redirect URL): <Response> with its verbs, executed
// in order. Build one with [NewResponse] or a struct literal:
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
	// Verbs are the elements of <Response>, rendered in this order: any of
	// the twelve verbs (not Number or User, which go in a Dial), a
	// [RawVerb] or a custom [Verb]. An empty Response is valid XML; Vobiz
	// then leaves the call without instructions.
	Verbs []Verb
}

// NewResponse returns a Response with the given verbs, in order.
func NewResponse(verbs ...Verb) Response { return Response{Verbs: verbs} }

// Validate reports every problem with r's verbs and their children, each
// an *[AttrError] (joined with errors.Join when there are several), or nil:
// every attribute and text, the nesting rules (a <Number> only in a
// <Dial>, Speak and Play only in a <Gather>, ...), required parts (a
// Gather's action, a Dial's Number or User), and custom verbs (see
// [Verb]). A nil verb is reported with Element "Response".
//
// What Vobiz accepts but ignores, such as a verb after a <Hangup>, is not
// an error: see [Response.Warnings].
func (r Response) Validate() error { return joined(responseRule.validate(nil, r.Verbs)) }

// MarshalXML validates r and writes it as <Response> with its verbs in
// order; xml.Marshal(r) therefore fails rather than produce XML Vobiz would
// reject. Use [Response.Bytes] for a complete document with the XML header.
func (r Response) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if err := r.Validate(); err != nil {
		return err
	}
	root := start("Response")
	if err := e.EncodeToken(root); err != nil {
		return err
	}
	if err := encodeVerbs(e, r.Verbs); err != nil {
		return err
	}
	return e.EncodeToken(root.End())
}

// UnmarshalXML reads a <Response>, so an answer can be parsed back (in
// tests, say) with xml.Unmarshal. Every element this package knows decodes
// into its type, at any depth (a misplaced one is reported by Validate,
// not here); any other element decodes into a [RawVerb], so an answer with
// a custom verb reads back and renders the same. Nothing is validated;
// attributes this package does not model are dropped (Gather's timeout,
// say). Text directly inside <Response>, <Gather>, <Dial> or <PreAnswer>
// is an error, as is nesting deeper than 16 elements.
func (r *Response) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	verbs, err := decodeChildren(d, "Response", 0)
	r.Verbs = verbs
	return err
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
