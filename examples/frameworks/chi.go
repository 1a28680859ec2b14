package frameworks

import (
	"github.com/go-chi/chi/v5"

	"github.com/vobizhook/vobizhook"
)

// Chi returns a chi router serving h at /conference-events. Router.Handle
// routes every method to h, so GET and POST callbacks both reach it; r.Post
// alone would answer every GET callback 405.
func Chi(h *vobizhook.Handler) chi.Router {
	r := chi.NewRouter()
	r.Handle("/conference-events", h)
	return r
}
