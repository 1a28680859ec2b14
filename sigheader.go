package vobizhook

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// The headers Vobiz signs callbacks with (its "Validating callbacks" page).
// Header names are matched case-insensitively.
const (
	// HeaderSignatureV3 holds base64(HMAC-SHA256(AuthToken, baseURL + "." + nonce)),
	// with the nonce in HeaderSignatureV3Nonce.
	HeaderSignatureV3      = "X-Vobiz-Signature-V3"
	HeaderSignatureV3Nonce = "X-Vobiz-Signature-V3-Nonce" // the nonce of the V3 and MA-V3 signatures

	// HeaderSignatureV2 holds base64(HMAC-SHA256(AuthToken, baseURL + nonce)),
	// with the nonce in HeaderSignatureV2Nonce.
	HeaderSignatureV2      = "X-Vobiz-Signature-V2"
	HeaderSignatureV2Nonce = "X-Vobiz-Signature-V2-Nonce" // the nonce of the V2 and MA-V2 signatures

	// HeaderSignatureMAV3 and HeaderSignatureMAV2 are V3 and V2 signatures
	// keyed with the parent (main) account's Auth Token, sent with a
	// sub-account's callbacks; they use the V3 and V2 nonce respectively.
	HeaderSignatureMAV3 = "X-Vobiz-Signature-MA-V3"
	HeaderSignatureMAV2 = "X-Vobiz-Signature-MA-V2"
)

// headerSignatureV1 is the legacy HMAC-SHA1 signature, whose input Vobiz
// does not document: it cannot be verified and does not count as a signature.
const headerSignatureV1 = "X-Vobiz-Signature"

// maxSignatures caps the comma-separated signatures in one header; rotation
// needs two.
const maxSignatures = 8

// maxNonceLen caps a nonce; Vobiz's are 20 digits.
const maxNonceLen = 64

type sigList struct {
	n    int
	sums [maxSignatures][sha256.Size]byte
}

// Header lookup. Go canonicalizes header names as it parses requests (and
// Header.Set does too), so the canonical keys are looked up first; a header
// map filled by hand with other spellings is searched case-insensitively
// when none of the signature headers is found that way.

const (
	slotV3 = iota
	slotV3Nonce
	slotV2
	slotV2Nonce
	slotMAV3
	slotMAV2
	slotV1
	numSlots
)

var slotNames = [numSlots]string{
	HeaderSignatureV3, HeaderSignatureV3Nonce, HeaderSignatureV2, HeaderSignatureV2Nonce,
	HeaderSignatureMAV3, HeaderSignatureMAV2, headerSignatureV1,
}

var slotKeys = func() (keys [numSlots]string) {
	for i, name := range slotNames {
		keys[i] = http.CanonicalHeaderKey(name)
	}
	return keys
}()

type sigHeaders [numSlots][]string

func loadSigHeaders(h http.Header) (hv sigHeaders) {
	for i, k := range slotKeys {
		if v := h[k]; len(v) > 0 {
			hv[i] = v
		}
	}
	if hv[slotV3] != nil || hv[slotV2] != nil || hv[slotMAV3] != nil || hv[slotMAV2] != nil {
		return hv
	}
	prefix := headerSignatureV1
	for k, v := range h {
		if len(v) == 0 || len(k) < len(prefix) || !strings.EqualFold(k[:len(prefix)], prefix) {
			continue
		}
		for i, name := range slotNames {
			if k != slotKeys[i] && strings.EqualFold(k, name) {
				hv[i] = append(hv[i][:len(hv[i]):len(hv[i])], v...)
				break
			}
		}
	}
	return hv
}

// parseNonce returns the single value of a nonce header, "" when absent.
func parseNonce(name string, vals []string) (string, error) {
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: %s given more than once", ErrInvalidSignature, name)
	}
	n := strings.TrimSpace(vals[0])
	if n == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrInvalidSignature, name)
	}
	if len(n) > maxNonceLen {
		return "", fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidSignature, name, maxNonceLen)
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return "", fmt.Errorf("%w: %s: want printable ASCII without spaces or commas", ErrInvalidSignature, name)
		}
	}
	return n, nil
}

// parseSigList decodes the comma-separated signatures of one header (all its
// lines) into out. Empty items between commas are skipped.
func parseSigList(name string, vals []string, out *sigList) error {
	// One line holding one signature, as Vobiz sends: a value that decodes
	// whole holds no comma, space or line break, so the loop below would
	// find the same single item.
	if len(vals) == 1 && out.n == 0 && decodeSig(vals[0], &out.sums[0]) {
		out.n = 1
		return nil
	}
	item := 0
	for _, v := range vals {
		for v != "" {
			var s string
			s, v, _ = strings.Cut(v, ",")
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			item++
			if out.n == maxSignatures {
				return fmt.Errorf("%w: %s holds more than %d signatures", ErrInvalidSignature, name, maxSignatures)
			}
			if !decodeSig(s, &out.sums[out.n]) {
				return fmt.Errorf("%w: %s: signature %d is not a base64-encoded HMAC-SHA256", ErrInvalidSignature, name, item)
			}
			out.n++
		}
	}
	if out.n == 0 {
		return fmt.Errorf("%w: %s is empty", ErrInvalidSignature, name)
	}
	return nil
}

// encodedSigLen is the length of a base64-encoded SHA-256 sum with padding.
var encodedSigLen = base64.StdEncoding.EncodedLen(sha256.Size)

// decodeSig decodes a base64 (padded or not) SHA-256 sum into dst, using
// stack buffers only.
func decodeSig(s string, dst *[sha256.Size]byte) bool {
	enc := base64.StdEncoding
	switch len(s) {
	case encodedSigLen:
	case base64.RawStdEncoding.EncodedLen(sha256.Size):
		enc = base64.RawStdEncoding
	default:
		return false
	}
	var src [44]byte
	var buf [sha256.Size + 1]byte
	n, err := enc.Decode(buf[:], src[:copy(src[:], s)])
	if err != nil || n != sha256.Size {
		return false
	}
	copy(dst[:], buf[:n])
	return true
}
