package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook/track"
)

// turn is a held conference turn: the token in its ":t" key. While held
// it is renewed every third of its lease, so that it expires only when
// this process stops renewing it (it died, or lost Redis).
type turn struct {
	c     *conferences
	uuid  string
	keys  []string
	token string
	rec   *track.Record
	now   time.Time
	lim   track.Limits

	mu    sync.Mutex
	done  bool
	timer *time.Timer
}

func (t *turn) Record() *track.Record { return t.rec }

// renewSoon schedules the next renewal.
func (t *turn) renewSoon() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.done {
		t.timer = time.AfterFunc(t.c.s.opt.TurnLease/3, t.renew)
	}
}

func (t *turn) renew() {
	s := t.c.s
	var held int64
	err := s.call(context.Background(), func(ctx context.Context) (err error) {
		held, err = turnRenew.Eval(ctx, s.rdb, t.keys[:1], t.token, ms(s.opt.TurnLease)).Int64()
		return err
	})
	if err == nil && held == 0 {
		return // taken over: the commit will be refused
	}
	t.renewSoon() // renewed, or Redis did not answer: try again
}

// stop ends the renewals; it reports false when the turn was already
// given back.
func (t *turn) stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	if t.timer != nil {
		t.timer.Stop()
	}
	return true
}

// Commit implements track.Turn: one pipeline runs the commit script
// (record, marker, announcement, release; refused when fenced off) and
// updates the index.
func (t *turn) Commit(ctx context.Context, rec *track.Record, changes []track.Change) error {
	if !t.stop() {
		return fmt.Errorf("%w: redisstore: the turn was already given back", track.ErrTurnLost)
	}
	s := t.c.s
	blob, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	var payload []byte
	if len(changes) > 0 {
		if payload, err = json.Marshal(changes); err != nil {
			return err
		}
	}
	ttl, marker := t.c.liveTTL(t.lim), time.Duration(0)
	if rec.Ended() {
		ttl = t.c.endedTTL(t.lim)
		if t.lim.Retention >= 0 {
			ttl = max(time.Second, ttl-t.now.Sub(rec.EndedLocal())) // Retention counts from the end
		}
		marker = ttl + s.opt.RememberEnded
	}
	var res *redis.Cmd
	err = s.call(ctx, func(ctx context.Context) error {
		pipe := s.rdb.Pipeline()
		res = turnCommit.Eval(ctx, pipe, t.keys, t.token, blob, ms(ttl), markerMs(marker), s.channel(), payload)
		indexCommit(ctx, pipe, s, t.uuid, rec)
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		// The renewals have stopped: give the turn back now (a no-op if
		// the script ran) rather than leave it to its lease.
		t.c.releaseTurn(ctx, t.keys, t.token)
		return unavailable("committing a conference", err)
	}
	if ok, _ := res.Int64(); ok != 1 {
		// The pipeline indexed the stale record: index the stored one.
		t.c.reindex(ctx, t.uuid)
		return fmt.Errorf("%w: redisstore: its lease ran out and another replica took it", track.ErrTurnLost)
	}
	return nil
}

func markerMs(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return ms(d)
}

// Release implements track.Turn.
func (t *turn) Release() {
	if !t.stop() {
		return
	}
	t.c.releaseTurn(context.Background(), t.keys, t.token)
}
