package redisstore_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/redisstore"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// BenchmarkCallback measures a signed, tracked callback through a Handler
// in memory and on Redis over loopback (single node and Cluster): the
// difference is what sharing the state between replicas adds to each
// callback. Rooms of 10 members enter then leave (20 callbacks a room);
// every request has a nonce of its own. Signing the request is inside the
// loop for all variants alike.
func BenchmarkCallback(b *testing.B) {
	single, cluster := sharedServers(b)
	variants := []struct {
		name  string
		build func(b *testing.B) (vobizhook.NonceStore, track.Store)
	}{
		{"memory", func(*testing.B) (vobizhook.NonceStore, track.Store) { return nil, nil }},
		{"redis", func(b *testing.B) (vobizhook.NonceStore, track.Store) {
			s := redisstore.New(newClient(b, single), redisstore.Options{Prefix: fmt.Sprintf("b%d:", prefixes.Add(1))})
			return s.Nonces(), s.Conferences()
		}},
		{"redis-cluster", func(b *testing.B) (vobizhook.NonceStore, track.Store) {
			s := redisstore.New(newClient(b, cluster...), redisstore.Options{Prefix: fmt.Sprintf("b%d:", prefixes.Add(1))})
			return s.Nonces(), s.Conferences()
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			nonces, confs := v.build(b)
			h := &vobizhook.Handler{
				Verifier:   &vobizhook.Verifier{AuthTokens: []string{replicaToken}, CallbackURL: publicURL},
				NonceStore: nonces,
				Tracker:    &track.Tracker{Store: confs, MaxIdle: -1, Logger: slog.New(slog.DiscardHandler)},
				Logger:     slog.New(slog.DiscardHandler),
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				room, step := i/20, i%20
				ev := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "bench-" + strconv.Itoa(room),
					ConferenceName: "bench", CallUUID: "c" + strconv.Itoa(step%10), MemberID: strconv.Itoa(step % 10), CurrentSize: -1}
				if step >= 10 {
					ev.Action, ev.LastMember, ev.Event = vobizhook.ActionExit, step == 19, "ConferenceExit"
				}
				r := vobizhooktest.MustNewRequest(b, ev, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				i++
			}
		})
	}
}
