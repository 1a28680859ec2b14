package vobizhook

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzScanFormChecked checks the single pass the Handler takes over a body
// (parse, check the named parameters, unescape into the body's own buffer)
// against parsing with url.QueryUnescape and checking afterwards: the same
// values, or the same error.
func FuzzScanFormChecked(f *testing.F) {
	f.Add(documentedEnter)
	f.Add("ConferenceAction=enter&ConferenceAction=exit&CallUUID=%41%42")
	f.Add("ConferenceName=a%0Ab&From=" + strings.Repeat("9", 70))
	f.Add("Timestamp=2026-05-19+10%3A32%3A15&x=%zz")
	f.Add("a+b=c+d&ConferenceUUID=%E2%80%AE&&;")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := scanForm(s, params, make([]byte, 0, len(s)))
		want, wantErr := parseForm(s)
		if wantErr == nil {
			if e := params.check(want); e != nil {
				wantErr = e
			}
		}
		if wantErr != nil {
			require.Error(t, err, "%q", s)
			require.Equal(t, wantErr.Error(), err.Error(), "%q", s)
			return
		}
		require.NoError(t, err, "%q", s)
		require.Equal(t, want, got, "%q", s)
	})
}

// FuzzCleanText checks the eight-bytes-at-a-time cleanText against the
// byte-by-byte rule.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "WeeklyStandup", "abcdefgh\x7f", "abcdefg\x1f", " ~~~~~~~~~~~~~", "naïve café", "a\u202eb", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := true
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f {
				want = utf8.ValidString(s) && cleanTextSlow(s)
				break
			}
		}
		require.Equal(t, want, cleanText(s), "%q", s)
	})
}
