// Command basic serves a vobizhook.Handler on 127.0.0.1:8080 and logs every
// conference callback it receives. It also answers calls on /answer with a
// <Conference> whose callbackUrl points at its own /conference-events.
//
//	go run ./examples/basic
//	tail -n1 testdata/enter-classic.http | curl -sS --data-binary @- http://127.0.0.1:8080/conference-events
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizxml"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	public := flag.String("public-url", "", "public base URL Vobiz reaches this server at (default http://ADDR)")
	flag.Parse()
	if *public == "" {
		*public = "http://" + *addr
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	logEvent := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		logger.InfoContext(ctx, "conference event",
			"action", ev.Action,
			"conference", ev.ConferenceName,
			"conference_uuid", ev.ConferenceUUID,
			"call_uuid", ev.CallUUID,
			"member_id", ev.MemberID,
			"from", ev.From,
			"size", ev.CurrentSize)
		return nil
	}

	callbackURL := *public + "/conference-events"
	events := &vobizhook.Handler{
		OnEnter: logEvent,
		OnExit:  logEvent,
		OnStart: logEvent,
		OnEnd:   logEvent,
		OnOther: logEvent,
		Logger:  logger,
	}
	if token := os.Getenv("VOBIZ_AUTH_TOKEN"); token != "" {
		events.Verifier = &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL}
	}
	answer := vobizxml.NewResponse(
		vobizxml.Speak{Text: "Joining the stand-up."},
		vobizxml.Conference{Room: "standup", CallbackURL: callbackURL, CallbackMethod: http.MethodPost},
	)
	if err := answer.Validate(); err != nil {
		logger.Error("invalid answer XML", "error", err)
		os.Exit(2)
	}

	mux := http.NewServeMux()
	mux.Handle("/answer", answer)            // set as the number's answer URL
	mux.Handle("/conference-events", events) // the callbackUrl of <Conference>

	// Vobiz wants an answer within 3 seconds; these limits also keep a slow
	// or stalled client from holding a connection open.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()

	logger.Info("listening", "answer_url", *public+"/answer", "callback_url", callbackURL)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("server failed", "error", err)
		os.Exit(1)
	}
}
