package vobizhook

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzVerifyFastPath checks that verify's path for V3 (and V2 with the
// same nonce) answers every request exactly as its general path does: the
// same nonces, or the same error. Each byte of the input picks a header
// and one of a few values for it, from good signatures to malformed ones.
func FuzzVerifyFastPath(f *testing.F) {
	f.Add([]byte{0x00, 0x10})
	f.Add([]byte{0x00, 0x10, 0x20, 0x30})
	f.Add([]byte{0x00, 0x11, 0x21, 0x30})
	f.Add([]byte{0x01, 0x10, 0x24, 0x33})
	f.Add([]byte{0x05, 0x15, 0x25, 0x40})
	f.Add([]byte{0x02, 0x10, 0x51})
	sigs := func(base, sep string) []string {
		good := mac(tokAccount, base+sep+nonceA)
		return []string{good, mac(tokAccount, base+sep+nonceB), otherSig + ", " + good, " " + good + " ", "", "not base64!", good[:43], ",,"}
	}
	values := [][]string{
		sigs(publicURL, "."), // 0x0_: V3
		{nonceA, nonceB, " " + nonceA, "", "bad nonce", nonceA + "," + nonceB, "x", nonceA}, // 0x1_: V3 nonce
		sigs(publicURL, ""), // 0x2_: V2
		{nonceA, nonceB, "", "x y", nonceA, nonceB, "z", nonceA},                                            // 0x3_: V2 nonce
		{mac(tokParent, publicURL+"."+nonceA), otherSig, "", "bad", otherSig, otherSig, otherSig, otherSig}, // 0x4_: MA-V3
		{mac(tokParent, publicURL+nonceA), otherSig, "", "bad", otherSig, otherSig, otherSig, otherSig},     // 0x5_: MA-V2
	}
	headers := []string{HeaderSignatureV3, HeaderSignatureV3Nonce, HeaderSignatureV2, HeaderSignatureV2Nonce, HeaderSignatureMAV3, HeaderSignatureMAV2}
	verifiers := []*Verifier{
		{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
		{AuthTokens: []string{tokAccount}, ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
		{ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
		{AuthTokens: []string{tokAccount}},
	}
	f.Fuzz(func(t *testing.T, spec []byte) {
		if len(spec) > 12 {
			spec = spec[:12]
		}
		r := httptest.NewRequest(http.MethodPost, publicURL, nil)
		for _, b := range spec {
			h := int(b>>4) % len(headers)
			r.Header[http.CanonicalHeaderKey(headers[h])] = append(r.Header[http.CanonicalHeaderKey(headers[h])], values[h][int(b&7)])
		}
		for _, v := range verifiers {
			v.once.Do(v.init)
			if v.st.err != nil {
				continue
			}
			acct := &v.st.static
			fast, fastErr := v.st.verify(r, acct)
			want, wantErr := v.st.verifyAny(r, acct)
			if wantErr != nil {
				require.Error(t, fastErr, "%v", r.Header)
				require.Equal(t, wantErr.Error(), fastErr.Error(), "%v", r.Header)
				continue
			}
			require.NoError(t, fastErr, "%v", r.Header)
			require.Equal(t, want, fast, "%v", r.Header)
		}
	})
}

// The fast path takes the requests Vobiz sends: V3 alone, and V3 with V2
// over the same nonce.
func TestVerifyV3TakesCommonRequests(t *testing.T) {
	v := &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL}
	v.once.Do(v.init)
	for _, withV2 := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		r.Header.Set(HeaderSignatureV3, v3(tokAccount, publicURL, nonceA))
		r.Header.Set(HeaderSignatureV3Nonce, nonceA)
		if withV2 {
			r.Header.Set(HeaderSignatureV2, v2(tokAccount, publicURL, nonceA))
			r.Header.Set(HeaderSignatureV2Nonce, nonceA)
		}
		n, err, ok := v.st.verifyV3(r, &v.st.static)
		require.True(t, ok, "V2 too: %v", withV2)
		require.NoError(t, err)
		require.Equal(t, Nonces{V3: nonceA}, n)
	}
}
