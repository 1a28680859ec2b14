package vobizhook

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/go-playground/form/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// widerEvent is ConferenceEvent with one more named parameter: what a
// contributor adds when Vobiz sends something new.
type widerEvent struct {
	ConferenceEvent
	Action   Action `form:"ConferenceAction" max:"32"`
	CallUUID string `form:"CallUUID" max:"128"`
	// BillRate is the new row.
	BillRate string `form:"BillRate" max:"12"`
}

// A new row is picked up by every consumer of the table: the lookup, the
// checks of a decoded request (length, duplicates, clean text), the
// validation of a built event, the error order, the list of named
// parameters; and go-playground/form decodes it by the same tag.
func TestParamTableFromTags(t *testing.T) {
	tab, err := newParamTable(reflect.TypeFor[widerEvent]())
	require.NoError(t, err)
	i := tab.index("BillRate")
	require.GreaterOrEqual(t, i, 0, "the new row is in the lookup")
	assert.Equal(t, 12, tab.rows[i].max)

	// The checks of a decoded request.
	assert.NoError(t, tab.check(url.Values{"BillRate": {"0.0085"}}))
	for body, want := range map[string]error{
		"BillRate=1&BillRate=2":                            ErrDuplicateParam,
		"BillRate=" + strings.Repeat("9", 13):              ErrInvalidParam,
		"BillRate=%1B%5B31m":                               ErrInvalidParam,
		"CallUUID=%01&BillRate=" + strings.Repeat("9", 13): ErrInvalidParam,
	} {
		values, err := url.ParseQuery(body)
		require.NoError(t, err)
		err = tab.check(values)
		require.ErrorIs(t, err, want, body)
		var pe *ParamError
		require.True(t, errors.As(err, &pe))
		if strings.HasPrefix(body, "CallUUID") {
			assert.Equal(t, "CallUUID", pe.Param, "the first offender in table order")
		} else {
			assert.Equal(t, "BillRate", pe.Param)
		}
	}

	// The validation of a built event (what track.Tracker's Apply uses).
	ev := widerEvent{BillRate: strings.Repeat("9", 13)}
	pe := tab.validate(reflect.ValueOf(&ev).Elem())
	require.NotNil(t, pe)
	assert.Equal(t, "BillRate", pe.Param)
	assert.Contains(t, pe.Error(), "at most 12 bytes")

	// The decoder reads the same tag.
	d := form.NewDecoder()
	d.SetMode(form.ModeExplicit)
	var got widerEvent
	require.NoError(t, d.Decode(&got, url.Values{"BillRate": {"0.0085"}}))
	assert.Equal(t, "0.0085", got.BillRate)

	// And the real table is ConferenceEvent's tags, in field order.
	assert.Len(t, params.rows, reflect.TypeFor[ConferenceEvent]().NumField()-1)
}

func TestParamTableRefusesBadTags(t *testing.T) {
	for name, typ := range map[string]reflect.Type{
		"no max": reflect.TypeFor[struct {
			A string `form:"A"`
		}](),
		"zero max": reflect.TypeFor[struct {
			A string `form:"A" max:"0"`
		}](),
		"twice": reflect.TypeFor[struct {
			A string `form:"A" max:"1"`
			B string `form:"A" max:"1"`
		}](),
	} {
		_, err := newParamTable(typ)
		assert.Error(t, err, name)
	}
}

func TestConferenceEventValidate(t *testing.T) {
	ok := ConferenceEvent{Action: ActionEnter, ConferenceUUID: "u", CallUUID: "c", CurrentSize: -1}
	require.NoError(t, ok.Validate())
	for name, tc := range map[string]struct {
		ev    func(ConferenceEvent) ConferenceEvent
		param string
	}{
		"long UUID":         {func(e ConferenceEvent) ConferenceEvent { e.ConferenceUUID = strings.Repeat("u", 129); return e }, "ConferenceUUID"},
		"control in From":   {func(e ConferenceEvent) ConferenceEvent { e.From = "91\n80"; return e }, "From"},
		"action not a word": {func(e ConferenceEvent) ConferenceEvent { e.Action = "enter now"; return e }, "ConferenceAction"},
	} {
		err := tc.ev(ok).Validate()
		var pe *ParamError
		require.True(t, errors.As(err, &pe), name)
		assert.Equal(t, tc.param, pe.Param, name)
		assert.ErrorIs(t, err, ErrInvalidParam, name)
	}
}
