// Command quickstart is the README's quick start: a signature-checking
// vobizhook.Handler on :8080 that logs who enters and leaves.
//
//	VOBIZ_AUTH_TOKEN=... go run ./examples/quickstart
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/vobizhook/vobizhook"
)

func main() {
	mux := http.NewServeMux()
	mux.Handle("/conference-events", &vobizhook.Handler{ // GET and POST: callbackMethod may be either
		Verifier: &vobizhook.Verifier{
			AuthTokens:  []string{os.Getenv("VOBIZ_AUTH_TOKEN")}, // unset: every callback refused (500), never accepted unsigned
			CallbackURL: "https://app.example/conference-events", // exactly as on <Conference callbackUrl=...>
		},
		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			log.Printf("%s joined %s", ev.CallUUID, ev.ConferenceName)
			return nil // an error answers 500, and Vobiz retries
		},
		OnExit: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			log.Printf("%s left %s", ev.CallUUID, ev.ConferenceName)
			return nil
		},
	})
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,  // headers, against slowloris
		ReadTimeout:       10 * time.Second, // headers and body
		WriteTimeout:      10 * time.Second, // until the response is written
		IdleTimeout:       60 * time.Second, // keep-alive connections between requests
		MaxHeaderBytes:    64 << 10,         // a callback's headers are well under 4 KiB
	}
	log.Fatal(srv.ListenAndServe())
}
