package vobizhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader("ConferenceAction=enter&ConferenceCurrentSize=3&Timestamp=2026-05-19+10%3A32%3A15"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ev, err := ParseConferenceEvent(r)
	require.NoError(t, err)
	require.Equal(t, ActionEnter, ev.Action)
	require.Equal(t, 3, ev.CurrentSize)
	require.Equal(t, 10, ev.Timestamp.Hour())
}
