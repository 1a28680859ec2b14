package frameworks

import (
	"net/http"

	"github.com/vobizhook/vobizhook"
)

// StripPrefix returns a ServeMux serving h at /vobiz/conference-events
// through http.StripPrefix, as when the callbacks are one sub-tree of a larger
// server: h sees the path /conference-events. The signature still verifies
// without a CallbackURL, because a Verifier that rebuilds the URL takes the
// path as received (r.RequestURI), which StripPrefix leaves alone.
func StripPrefix(h *vobizhook.Handler) *http.ServeMux {
	inner := http.NewServeMux()
	inner.Handle("/conference-events", h)

	mux := http.NewServeMux()
	mux.Handle("/vobiz/", http.StripPrefix("/vobiz", inner))
	return mux
}
