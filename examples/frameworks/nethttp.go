package frameworks

import (
	"net/http"

	"github.com/vobizhook/vobizhook"
)

// ServeMux returns a ServeMux serving h at /conference-events. The pattern
// names no method, so GET and POST callbacks both reach h, which answers 405
// (with Allow: GET, POST) to any other method itself. A pattern with a method,
// such as "POST /conference-events", would answer every GET callback 405.
func ServeMux(h *vobizhook.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/conference-events", h)
	return mux
}
