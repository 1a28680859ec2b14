package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// Defaults of [Options].
const (
	// DefaultPrefix starts every key and the pub/sub channel.
	DefaultPrefix = "vobizhook:"
	// DefaultTimeout bounds each Redis call.
	DefaultTimeout = 500 * time.Millisecond
	// DefaultTurnLease is how long a conference's turn outlives a holder
	// that stopped renewing it (a dead replica).
	DefaultTurnLease = 10 * time.Second
	// DefaultMaxTurnWait is how long an event waits for the turn of its
	// conference before it is answered 503 (Vobiz retries).
	DefaultMaxTurnWait = 1500 * time.Millisecond
	// DefaultRememberEnded is how long past its Retention a conference that
	// ended is remembered, so that a very late retry for it is ignored.
	DefaultRememberEnded = 24 * time.Hour
	// DefaultNoTTL is the TTL of what a Tracker asks to keep forever (a
	// negative MaxIdle or Retention): in Redis every key has a TTL.
	DefaultNoTTL = 7 * 24 * time.Hour
)

// Options configure a [Store]. The zero value means every default.
type Options struct {
	// Prefix starts every key and the pub/sub channel: give replicas that
	// share state the same prefix, and other applications on the same
	// Redis another. It must not contain '{' or '}' (the keys' hash
	// tags). Empty means DefaultPrefix.
	Prefix string

	// Timeout bounds each Redis call (a script, a pipeline). Zero means
	// DefaultTimeout.
	Timeout time.Duration

	// TurnLease is how long a conference's turn is held without renewal;
	// a holder renews it every third of it while its funcs run, so only a
	// dead holder's turn expires. Zero means DefaultTurnLease.
	TurnLease time.Duration

	// MaxTurnWait bounds how long an event waits for another replica to
	// give its conference's turn back; past it, the event is answered 503
	// and Vobiz retries. Zero means DefaultMaxTurnWait.
	MaxTurnWait time.Duration

	// RememberEnded is how long, past its Retention, an ended
	// conference's UUID is remembered. Zero means DefaultRememberEnded.
	RememberEnded time.Duration

	// Logger receives the store's warnings (a client without context
	// deadlines, a malformed message on the channel). nil means
	// slog.Default().
	Logger *slog.Logger
}

// Store keeps nonces and conferences in Redis for every replica that
// shares it. Make one per process with [New] and hand its Nonces to the
// Handler and its Conferences to the Tracker. It is safe for concurrent
// use.
type Store struct {
	rdb redis.UniversalClient
	opt Options
}

// New returns a Store on rdb. rdb may be a *redis.Client (a single node,
// or Sentinel through redis.NewFailoverClient), a *redis.ClusterClient or
// anything else implementing redis.UniversalClient. The Store does not
// close rdb. An invalid Prefix is replaced by DefaultPrefix and logged.
func New(rdb redis.UniversalClient, opt Options) *Store {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	} else if strings.ContainsAny(opt.Prefix, "{}") {
		opt.Logger.Warn("redisstore: Options.Prefix must not contain '{' or '}'; using the default", "default", DefaultPrefix)
		opt.Prefix = DefaultPrefix
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.TurnLease <= 0 {
		opt.TurnLease = DefaultTurnLease
	}
	if opt.MaxTurnWait <= 0 {
		opt.MaxTurnWait = DefaultMaxTurnWait
	}
	if opt.RememberEnded <= 0 {
		opt.RememberEnded = DefaultRememberEnded
	}
	warnWithoutDeadlines(rdb, opt)
	return &Store{rdb: rdb, opt: opt}
}

// warnWithoutDeadlines logs when rdb is a client that ignores context
// deadlines: its calls are then bounded by its own read and write
// timeouts, which may exceed Options.Timeout.
func warnWithoutDeadlines(rdb redis.UniversalClient, opt Options) {
	var enabled bool
	var read time.Duration
	switch c := rdb.(type) {
	case *redis.Client:
		enabled, read = c.Options().ContextTimeoutEnabled, c.Options().ReadTimeout
	case *redis.ClusterClient:
		enabled, read = c.Options().ContextTimeoutEnabled, c.Options().ReadTimeout
	default:
		return
	}
	if !enabled {
		opt.Logger.Warn("redisstore: the Redis client has ContextTimeoutEnabled false: its calls are bounded by its ReadTimeout and WriteTimeout, not by Options.Timeout; set ContextTimeoutEnabled: true",
			"read_timeout", read, "timeout", opt.Timeout)
	}
}

// Nonces returns the store's vobizhook.NonceStore, for Handler.NonceStore.
func (s *Store) Nonces() vobizhook.NonceStore { return nonces{s} }

// Conferences returns the store's track.Store, for track.Tracker.Store.
func (s *Store) Conferences() track.Store { return &conferences{s: s} }

// call runs fn with a context bounded by Options.Timeout.
func (s *Store) call(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	return fn(ctx)
}

func (s *Store) nonceKey(nonce string) string { return s.opt.Prefix + "n:" + nonce }

// confKeys are the keys of one conference: its record, turn and marker,
// in one hash slot.
func (s *Store) confKeys(uuid string) []string {
	base := s.opt.Prefix + "c:{" + uuid + "}"
	return []string{base + ":t", base + ":r", base + ":g"}
}

func (s *Store) liveKey() string  { return s.opt.Prefix + "live" }
func (s *Store) endedKey() string { return s.opt.Prefix + "ended" }
func (s *Store) channel() string  { return s.opt.Prefix + "changes" }
func ms(d time.Duration) int64    { return max(1, d.Milliseconds()) }
func unixMs(t time.Time) float64  { return float64(t.UnixMilli()) }

// newToken returns a random token for a turn: holders on different
// replicas must never share one.
func newToken() string {
	var b [12]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x", binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint32(b[8:]))
}

// unavailable wraps a Redis failure so that a Handler answers 503.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: redisstore: %s: %w", vobizhook.ErrUnavailable, what, err)
}
