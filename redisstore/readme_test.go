package redisstore_test

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/redisstore"
	"github.com/vobizhook/vobizhook/track"
)

// The README's snippet of "Running several replicas", compiled.

func readmeReplicas(onStart, onEnd func(context.Context, vobizhook.ConferenceEvent) error) {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{os.Getenv("REDIS_ADDR")}, // one address, a Sentinel's, or a Cluster's
		ContextTimeoutEnabled: true,                              // deadlines from the store's contexts
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
	})
	s := redisstore.New(rdb, redisstore.Options{Prefix: "vobizhook:"}) // the same prefix on every replica
	tracker := &track.Tracker{Store: s.Conferences(), OnIdleEnd: onEnd}
	h := &vobizhook.Handler{
		Verifier:   &vobizhook.Verifier{AuthTokens: []string{os.Getenv("VOBIZ_AUTH_TOKEN")}, CallbackURL: "https://app.example/conference-events"},
		NonceStore: s.Nonces(),
		Tracker:    tracker,
		OnStart:    onStart,
		OnEnd:      onEnd,
	}
	http.Handle("/conference-events", h)
}

// The snippet is compiled, not run.
var _ = readmeReplicas
