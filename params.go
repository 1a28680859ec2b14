package vobizhook

import (
	"fmt"
	"reflect"
	"strconv"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// This file holds the one table of the named callback parameters. It is
// read, at init, from the struct tags of ConferenceEvent (form: the wire
// name, which go-playground/form decodes by; max: the length cap), and
// everything else derives from it: the lookup that checkNamedParams uses,
// the order of errors, ConferenceEvent.Validate (which track.Tracker uses
// for its field caps), NamedParams (which vobizhooktest uses). A field
// added to ConferenceEvent with its two tags is picked up by all of them;
// TestParamTableFromTags builds a table from a struct with one more field
// and checks exactly that.

// paramRow is one named parameter.
type paramRow struct {
	name   string  // wire name, the form tag
	max    int     // longest accepted value, in bytes
	field  []int   // index of the field in ConferenceEvent
	text   bool    // a string field: Validate checks its length and text
	offset uintptr // of the field in its struct, for validateEvent
}

// paramTable is the rows in field order, with a lookup by name that needs
// no hashing: names are bucketed by length, and a bucket holds one to three
// names (compared with ==, a memcmp of equal lengths).
type paramTable struct {
	rows    []paramRow
	buckets [maxParamName + 1][]uint8 // by len(name): indexes into rows
}

// maxParamName bounds the length of a named parameter's wire name.
const maxParamName = 40

// maxParams bounds the rows: scanForm keeps a bit per row in a uint64.
const maxParams = 64

var params = mustParamTable(reflect.TypeFor[ConferenceEvent]())

func mustParamTable(t reflect.Type) *paramTable {
	tab, err := newParamTable(t)
	if err != nil {
		panic(err)
	}
	for _, row := range tab.rows {
		if row.text && len(row.field) != 1 {
			panic("vobizhook: validateEvent reads top-level string fields only")
		}
	}
	return tab
}

// newParamTable reads the form and max tags of struct type t.
func newParamTable(t reflect.Type) (*paramTable, error) {
	tab := &paramTable{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, ok := f.Tag.Lookup("form")
		if !ok || name == "-" {
			continue
		}
		m, err := strconv.Atoi(f.Tag.Get("max"))
		if err != nil || m <= 0 {
			return nil, fmt.Errorf("vobizhook: field %s needs a positive max tag", f.Name)
		}
		if len(name) == 0 || len(name) > maxParamName {
			return nil, fmt.Errorf("vobizhook: field %s: wire name of 1 to %d bytes", f.Name, maxParamName)
		}
		if tab.index(name) >= 0 {
			return nil, fmt.Errorf("vobizhook: wire name %s given twice", name)
		}
		if len(tab.rows) == maxParams {
			return nil, fmt.Errorf("vobizhook: more than %d named parameters", maxParams)
		}
		tab.buckets[len(name)] = append(tab.buckets[len(name)], uint8(len(tab.rows)))
		tab.rows = append(tab.rows, paramRow{name: name, max: m, field: f.Index, text: f.Type.Kind() == reflect.String, offset: f.Offset})
	}
	return tab, nil
}

// index returns the row of the parameter called name, or -1.
func (t *paramTable) index(name string) int {
	if len(name) > maxParamName {
		return -1
	}
	for _, i := range t.buckets[len(name)] {
		// The last byte tells apart the names of one length (UUID and Name,
		// Direction and Timestamp, CurrentSize and FirstMember) before the
		// comparison of the whole.
		if r := &t.rows[i]; r.name[len(name)-1] == name[len(name)-1] && r.name == name {
			return int(i)
		}
	}
	return -1
}

// check enforces what the decoder cannot: each named parameter appears at
// most once (parameter pollution) and holds clean text of bounded length.
// It walks the received parameters rather than looking every name up, which
// is cheaper for real payloads; of several offenders, it reports the one
// that comes first in the table, so the error does not depend on map order.
func (t *paramTable) check(values map[string][]string) error {
	var bad *ParamError
	badAt := len(t.rows)
	for name, vs := range values {
		i := t.index(name)
		if i < 0 || i >= badAt {
			continue
		}
		if e := t.checkValues(i, vs); e != nil {
			bad, badAt = e, i
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}

func (t *paramTable) checkValues(i int, vs []string) *ParamError {
	switch {
	case len(vs) > 1:
		return t.duplicate(i)
	case len(vs) == 1:
		return t.checkValue(i, vs[0])
	}
	return nil
}

func (t *paramTable) duplicate(i int) *ParamError {
	return &ParamError{Param: t.rows[i].name, Reason: "want exactly one", Err: ErrDuplicateParam}
}

// valueOK reports whether checkValue would accept v, without building its
// error.
func (t *paramTable) valueOK(i int, v string) bool {
	return len(v) <= t.rows[i].max && cleanText(v)
}

func (t *paramTable) checkValue(i int, v string) *ParamError {
	row := &t.rows[i]
	switch {
	case len(v) > row.max:
		return &ParamError{Param: row.name, Reason: "want at most " + strconv.Itoa(row.max) + " bytes", Err: ErrInvalidParam}
	case !cleanText(v):
		return &ParamError{Param: row.name, Reason: "want UTF-8 text without control characters", Err: ErrInvalidParam}
	}
	return nil
}

// Validate reports whether ev's fields obey the rules a [Handler] enforces
// when it decodes a callback: every named text field within its length cap
// (the max tag) and free of control characters, and Action, when set, a
// word. The error is a *[ParamError] naming the first field at fault, in
// field order.
//
// Decoded events always pass. Use it on events you build or load yourself
// before handing them to code that relies on those limits: track.Tracker's
// Apply does, so that its memory is bounded in bytes.
func (ev ConferenceEvent) Validate() error {
	if err := params.validateEvent(&ev); err != nil {
		return err
	}
	if ev.Action != "" && !validAction(ev.Action) {
		return errActionNotWord
	}
	return nil
}

// validateEvent is validate for the package's own table, whose type is
// ConferenceEvent, reading the string fields at their offsets: a fifth of
// the cost of reflection, for track.Tracker, which validates every event.
func (t *paramTable) validateEvent(ev *ConferenceEvent) *ParamError {
	base := unsafe.Pointer(ev)
	for i := range t.rows {
		row := &t.rows[i]
		if !row.text {
			continue
		}
		// The row is of a top-level string field of ConferenceEvent
		// (mustParamTable checked): its bytes at row.offset are a string.
		if e := t.checkValue(i, *(*string)(unsafe.Add(base, row.offset))); e != nil {
			return e
		}
	}
	return nil
}

// validate checks the text fields of v, a struct of the table's type.
func (t *paramTable) validate(v reflect.Value) *ParamError {
	for i := range t.rows {
		row := &t.rows[i]
		if !row.text {
			continue
		}
		if e := t.checkValue(i, v.FieldByIndex(row.field).String()); e != nil {
			return e
		}
	}
	return nil
}

var errActionNotWord = &ParamError{Param: "ConferenceAction", Reason: "want a word such as enter or exit", Err: ErrInvalidParam}

// validAction accepts the shape of every action Vobiz and Plivo send
// (enter, waitSound, ...): letters, digits, '_' and '-'.
func validAction(a Action) bool {
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// cleanText reports whether s is valid UTF-8 free of control characters
// (C0, DEL, C1), line and paragraph separators and bidirectional overrides:
// nothing Vobiz sends needs them, and they break or spoof log lines.
func cleanText(s string) bool {
	i := 0
	// Eight bytes at a time: x has a byte outside 0x20-0x7e exactly when one
	// of x (a byte >= 0x80), x - 0x20 in each byte (a byte below 0x20
	// borrows, setting its top bit; a borrow can only add false alarms) and
	// x + 1 in each byte (0x7f carries into its top bit) has a top bit set.
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		const ones, spaces, tops = 0x0101010101010101, 0x2020202020202020, 0x8080808080808080
		if (x|(x-spaces)|(x+ones))&tops != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		// One unsigned comparison catches c < 0x20 (which wraps around) and
		// c >= 0x7f (DEL and every non-ASCII byte).
		if s[i]-0x20 >= 0x7f-0x20 {
			return cleanTextSlow(s[i:])
		}
	}
	return true
}

func cleanTextSlow(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r),
			r == '\u2028' || r == '\u2029', // line and paragraph separators
			'\u202a' <= r && r <= '\u202e', // bidi embeddings and overrides
			'\u2066' <= r && r <= '\u2069': // bidi isolates
			return false
		}
	}
	return true
}
