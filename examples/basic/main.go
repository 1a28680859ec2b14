// Command basic runs a PIN-protected conference line on 127.0.0.1:8080: the
// whole call flow of a Vobiz conference app, answer XML and callbacks.
//
//   - /answer (the number's answer URL) greets the caller and collects a
//     PIN with <Gather>; without one, it says goodbye and hangs up.
//   - /pin (the Gather's action URL) checks the PIN: the right one is
//     answered with <Record> of the session and <Conference> whose
//     callbackUrl and action are this server's /conference-events; a wrong
//     one with <Speak> and <Hangup>.
//   - /conference-events is a vobizhook.Handler: it logs every conference
//     callback and, with OnLeave, answers the <Conference action> request
//     when a member leaves.
//   - /recording (the Record's action URL) logs the recording.
//
// Run it, and point a Vobiz number's answer URL at PUBLIC/answer:
//
//	go run ./examples/basic -public-url https://conf.example.com -pin 2468
//	tail -n1 testdata/enter-classic.http | curl -sS --data-binary @- http://127.0.0.1:8080/conference-events
//
// With VOBIZ_AUTH_TOKEN set, the callbacks must carry a valid Vobiz
// signature, and so must the Gather's and the Record's action requests:
// Vobiz documents its signature for callbacks, and Plivo, whose API Vobiz
// follows, signs every request it makes. Without it, nothing is verified.
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizxml"
)

// config is what newMux needs to know.
type config struct {
	PublicURL string       // the base URL Vobiz reaches this server at, e.g. https://conf.example.com
	PIN       string       // the room's PIN: 1 to 32 digits
	Room      string       // the conference room
	AuthToken string       // the Vobiz Auth Token; "" verifies no signature
	Logger    *slog.Logger // where events and refusals go
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	public := flag.String("public-url", "", "public base URL Vobiz reaches this server at (default http://ADDR)")
	pin := flag.String("pin", "1234", "the room's PIN (1 to 32 digits)")
	room := flag.String("room", "standup", "the conference room")
	flag.Parse()
	if *public == "" {
		*public = "http://" + *addr
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	mux, err := newMux(config{
		PublicURL: *public,
		PIN:       *pin,
		Room:      *room,
		AuthToken: os.Getenv("VOBIZ_AUTH_TOKEN"),
		Logger:    logger,
	})
	if err != nil {
		logger.Error("invalid configuration", "error", err)
		os.Exit(2)
	}

	// Vobiz wants an answer within a second or two; these limits also keep
	// a slow or stalled client from holding a connection open.
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

	base, _ := publicBase(*public) // checked by newMux
	logger.Info("listening", "answer_url", base+"/answer", "callback_url", base+"/conference-events")
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("server failed", "error", err)
		os.Exit(1)
	}
}

// publicBase checks the public URL (absolute http or https, no query or
// fragment: the paths are appended to it) and drops a trailing slash, which
// would make every path start with "//" (answered with a redirect, not XML).
func publicBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(raw, "?#") {
		return "", errors.New("-public-url: want an absolute http or https URL without a query, like https://conf.example.com")
	}
	return strings.TrimRight(raw, "/"), nil
}

// newMux returns the server's routes. It validates every answer it will
// serve, so a configuration that would make Vobiz drop calls fails here.
func newMux(cfg config) (*http.ServeMux, error) {
	if len(cfg.PIN) < 1 || len(cfg.PIN) > 32 || !digits(cfg.PIN) {
		return nil, errors.New("the PIN must be 1 to 32 digits")
	}
	base, err := publicBase(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	pinURL := base + "/pin"
	callbackURL := base + "/conference-events"
	recordingURL := base + "/recording"

	answer := vobizxml.NewResponse(
		vobizxml.Gather{
			Action:           pinURL,
			Method:           http.MethodPost,
			InputType:        vobizxml.GatherDTMF,
			NumDigits:        len(cfg.PIN),
			ExecutionTimeout: 10,
			Prompts: []vobizxml.Verb{
				vobizxml.Speak{Text: "Welcome to the " + cfg.Room + " conference. Please enter your PIN."},
			},
		},
		// Without input, Vobiz goes on here.
		vobizxml.Speak{Text: "We did not receive a PIN. Goodbye."},
		vobizxml.Hangup{},
	)
	admit := vobizxml.NewResponse(
		vobizxml.Record{Action: recordingURL, Method: http.MethodPost, RecordSession: vobizxml.On},
		vobizxml.Speak{Text: "Thank you. Joining the conference."},
		vobizxml.Conference{
			Room:           cfg.Room,
			CallbackURL:    callbackURL,
			CallbackMethod: http.MethodPost,
			Action:         callbackURL, // answered by the Handler's OnLeave
			Method:         http.MethodPost,
		},
		vobizxml.Hangup{}, // if no action request comes
	)
	refuse := vobizxml.NewResponse(
		vobizxml.Speak{Text: "That PIN is not valid. Goodbye."},
		vobizxml.Hangup{},
	)
	goodbye := vobizxml.NewResponse(
		vobizxml.Speak{Text: "You have left the conference. Goodbye."},
		vobizxml.Hangup{},
	)
	for name, r := range map[string]vobizxml.Response{"answer": answer, "admit": admit, "refuse": refuse, "goodbye": goodbye} {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("the %s XML: %w", name, err)
		}
		for _, w := range r.Warnings() {
			cfg.Logger.Warn("answer XML", "answer", name, "warning", w)
		}
	}

	logEvent := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		cfg.Logger.InfoContext(ctx, "conference event",
			"action", ev.Action,
			"conference", ev.ConferenceName,
			"conference_uuid", ev.ConferenceUUID,
			"call_uuid", ev.CallUUID,
			"member_id", ev.MemberID,
			"from", ev.From)
		return nil
	}
	events := &vobizhook.Handler{
		OnEnter: logEvent,
		OnExit:  logEvent,
		OnStart: logEvent,
		OnEnd:   logEvent,
		OnOther: logEvent,
		OnLeave: func(ctx context.Context, ev vobizhook.ConferenceEvent) (http.Handler, error) {
			logEvent(ctx, ev)
			return goodbye, nil
		},
		Logger: cfg.Logger,
	}

	var pinCheck, recordingCheck *vobizhook.Verifier
	if cfg.AuthToken != "" {
		tokens := []string{cfg.AuthToken}
		events.Verifier = &vobizhook.Verifier{AuthTokens: tokens, CallbackURL: callbackURL}
		pinCheck = &vobizhook.Verifier{AuthTokens: tokens, CallbackURL: pinURL}
		recordingCheck = &vobizhook.Verifier{AuthTokens: tokens, CallbackURL: recordingURL}
	}

	mux := http.NewServeMux()
	mux.Handle("/answer", answer)            // the number's answer URL
	mux.Handle("/conference-events", events) // <Conference callbackUrl> and action
	mux.Handle("POST /pin", verified(pinCheck, cfg.Logger, func(w http.ResponseWriter, r *http.Request) {
		// Vobiz posts the keys pressed as Digits.
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("Digits")), []byte(cfg.PIN)) == 1 {
			cfg.Logger.InfoContext(r.Context(), "PIN accepted", "call_uuid", r.PostFormValue("CallUUID"))
			admit.ServeHTTP(w, r)
			return
		}
		cfg.Logger.WarnContext(r.Context(), "PIN refused", "call_uuid", r.PostFormValue("CallUUID"))
		refuse.ServeHTTP(w, r)
	}))
	mux.Handle("POST /recording", verified(recordingCheck, cfg.Logger, func(w http.ResponseWriter, r *http.Request) {
		cfg.Logger.InfoContext(r.Context(), "recording",
			"call_uuid", r.PostFormValue("CallUUID"),
			"recording_id", r.PostFormValue("RecordingID"),
			"duration", r.PostFormValue("RecordingDuration"),
			"end_reason", r.PostFormValue("RecordingEndReason"))
		vobizxml.Response{}.ServeHTTP(w, r) // with redirect off, Vobiz ignores the answer
	}))
	return mux, nil
}

// maxFormBytes bounds the body of the action requests (Vobiz's are well
// under a kilobyte).
const maxFormBytes = 64 << 10

// verified checks a request's Vobiz signature with v (nil checks nothing)
// before next reads its form: a forged /pin request must not learn whether
// a PIN is right. A replay of a signed request gets the same answer again.
func verified(v *vobizhook.Verifier, logger *slog.Logger, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v != nil {
			if _, err := v.Verify(r); err != nil {
				logger.WarnContext(r.Context(), "request refused", "path", r.URL.Path, "error", err)
				http.Error(w, "signature required", http.StatusForbidden)
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "malformed form", http.StatusBadRequest)
			return
		}
		next(w, r)
	})
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
