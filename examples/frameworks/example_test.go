package frameworks_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/examples/frameworks"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Mount a signature-checking Handler in gin, for GET and POST callbacks
// alike, and replay recorded callbacks against it.
func ExampleGin() {
	const authToken = "your-vobiz-auth-token" // os.Getenv("VOBIZ_AUTH_TOKEN")
	const callbackURL = "https://app.example/conference-events"

	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{
			AuthTokens:  []string{authToken},
			CallbackURL: callbackURL, // the callbackUrl on <Conference>, exactly
		},
		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Println("entered:", ev.ConferenceName)
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	router := frameworks.Gin(h)

	for _, tc := range []struct{ file, token string }{
		{"enter-live.http", authToken}, // POST
		{"enter-get.http", authToken},  // GET: callbackMethod="GET"
		{"enter-live.http", "a guessed token"},
	} {
		r, err := vobizhooktest.ReadRequestFile(payload(tc.file))
		if err != nil {
			panic(err)
		}
		if err := vobizhooktest.Resign(r, callbackURL, tc.token); err != nil {
			panic(err)
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, r)
		fmt.Println(r.Method, rec.Code)
	}
	// Output:
	// entered: WeeklyStandup
	// POST 200
	// entered: WeeklyStandup
	// GET 200
	// POST 403
}
