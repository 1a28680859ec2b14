package frameworks

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vobizhook/vobizhook"
)

// Echo returns an echo instance serving h at /conference-events for GET and
// POST, through echo.WrapHandler, which hands h the request as received.
// e.POST alone would answer every GET callback 405.
func Echo(h *vobizhook.Handler) *echo.Echo {
	e := echo.New()
	e.Match([]string{http.MethodGet, http.MethodPost}, "/conference-events", echo.WrapHandler(h))
	return e
}
