package vobizhooktest

import (
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// formTags returns the wire names of vobizhook.ConferenceEvent's fields, in
// field order: the parameters the core decodes into fields.
func formTags(t *testing.T) []string {
	t.Helper()
	var names []string
	typ := reflect.TypeFor[vobizhook.ConferenceEvent]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, ok := f.Tag.Lookup("form")
		require.True(t, ok, "ConferenceEvent.%s has no form tag", f.Name)
		if tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}

// The kit's list of named parameters is the core's: a field added to (or
// renamed in) ConferenceEvent must be taught to EncodeEvent, or it would be
// sent twice (field and Params) or not at all.
func TestNamedParamsMatchConferenceEvent(t *testing.T) {
	tags := formTags(t)
	assert.Equal(t, tags, namedParams, "the kit reads the core's table of named parameters")
	for _, name := range liveExtras {
		assert.NotContains(t, tags, name, "a live extra became a field: drop it from liveExtras")
	}
}

// EncodeEvent writes every field: an event with all of them set carries
// every named parameter, once, and nothing else.
func TestEncodeEventWritesEveryField(t *testing.T) {
	ev := vobizhook.ConferenceEvent{
		Action: vobizhook.ActionExit, Event: "ConferenceExit", ConferenceUUID: "conf",
		ConferenceName: "Room", MemberID: "7", CallUUID: "call", From: "911", To: "912",
		Direction: "inbound", CallStatus: "completed", CurrentSize: 2,
		FirstMember: true, LastMember: true,
		Timestamp:    time.Date(2026, 5, 19, 10, 30, 0, 0, time.UTC),
		RecordingURL: "https://media.example/r.mp3",
	}
	v := reflect.ValueOf(ev)
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("form") != "-" {
			require.False(t, v.Field(i).IsZero(), "set ConferenceEvent.%s in this test", v.Type().Field(i).Name)
		}
	}
	values, err := url.ParseQuery(EncodeEvent(ev))
	require.NoError(t, err)
	var got []string
	for name, vs := range values {
		assert.Len(t, vs, 1, name)
		got = append(got, name)
	}
	slices.Sort(got)
	want := formTags(t)
	slices.Sort(want)
	assert.Equal(t, want, got)
}
