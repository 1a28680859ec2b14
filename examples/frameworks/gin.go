package frameworks

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vobizhook/vobizhook"
)

// Gin returns a gin engine serving h at /conference-events for GET and POST,
// through gin.WrapH, which hands h the request as received. r.POST alone
// would answer every GET callback 404.
//
// The engine keeps gin's RedirectTrailingSlash: a callback to
// /conference-events/ is answered with a redirect, not delivered. Register
// the route exactly as the callbackUrl on <Conference> is written.
func Gin(h *vobizhook.Handler) *gin.Engine {
	r := gin.New()
	r.Match([]string{http.MethodGet, http.MethodPost}, "/conference-events", gin.WrapH(h))
	return r
}
