package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// conferences is the Store's track.Store.
type conferences struct{ s *Store }

// rangeBatch is how many records Range and the sweeps read per pipeline.
const rangeBatch = 256

// Acquire implements track.Store: one pipeline takes the turn, loads the
// record and counts the conferences; while another replica holds the
// turn it polls, with backoff, for at most Options.MaxTurnWait.
func (c *conferences) Acquire(ctx context.Context, uuid string, now time.Time, lim track.Limits) (track.Turn, error) {
	s := c.s
	keys := s.confKeys(uuid)
	token := newToken()
	waitCtx, cancel := context.WithTimeout(ctx, s.opt.MaxTurnWait)
	defer cancel()
	backoff := 2 * time.Millisecond
	for {
		var acq *redis.Cmd
		var nLive, nEnded *redis.IntCmd
		err := s.call(waitCtx, func(ctx context.Context) error {
			pipe := s.rdb.Pipeline()
			acq = turnAcquire.Eval(ctx, pipe, keys, token, ms(s.opt.TurnLease))
			nLive, nEnded = pipe.ZCard(ctx, s.liveKey()), pipe.ZCard(ctx, s.endedKey())
			_, err := pipe.Exec(ctx)
			return err
		})
		if err != nil {
			// The script may have taken the turn with its answer lost (a
			// timeout): give it back, or the conference's events would
			// wait out TurnLease.
			c.releaseTurn(ctx, keys, token)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("track: waiting for another event of the conference: %w", context.Cause(ctx))
			}
			return nil, unavailable("taking a conference's turn", err)
		}
		res, _ := acq.Slice()
		code, _ := res[0].(int64)
		switch code {
		case 2:
			return nil, track.ErrForgotten
		case 1:
			t := &turn{c: c, uuid: uuid, keys: keys, token: token, now: now, lim: lim}
			if len(res) > 1 {
				blob, _ := res[1].(string)
				t.rec = &track.Record{}
				if err := t.rec.UnmarshalBinary([]byte(blob)); err != nil {
					t.Release()
					return nil, unavailable("decoding the record of conference "+strconv.Quote(uuid)+" (delete its key to start it over)", err)
				}
			}
			if t.rec == nil && int(nLive.Val()+nEnded.Val()) >= max(1, lim.MaxConferences) {
				evicted, err := c.evictEnded(ctx, lim)
				if err != nil || !evicted {
					t.Release()
				}
				if err != nil {
					return nil, err
				}
				if !evicted {
					return nil, fmt.Errorf("%w: %d conferences tracked (MaxConferences), none ended", track.ErrTrackerFull, nLive.Val()+nEnded.Val())
				}
			}
			t.renewSoon()
			return t, nil
		}
		wait := backoff
		if len(res) > 1 {
			if left, ok := res[1].(int64); ok && left > 0 {
				wait = min(wait, time.Duration(left)*time.Millisecond)
			}
		}
		wait += time.Duration(rand.Int64N(int64(wait)/2 + 1)) // jitter: replicas do not poll in step
		select {
		case <-time.After(wait):
		case <-waitCtx.Done():
			if ctx.Err() != nil {
				return nil, fmt.Errorf("track: waiting for another event of the conference: %w", context.Cause(ctx))
			}
			return nil, fmt.Errorf("%w: redisstore: the conference's turn stayed busy for %s", vobizhook.ErrUnavailable, s.opt.MaxTurnWait)
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// evictEnded drops the conference that ended longest ago and is not
// busy, to admit a new one; it reports whether one was dropped. It stops
// at the first Redis failure, so that a stalled Redis costs one Timeout,
// not one per candidate.
func (c *conferences) evictEnded(ctx context.Context, lim track.Limits) (bool, error) {
	s := c.s
	var oldest []string
	if err := s.call(ctx, func(ctx context.Context) (err error) {
		oldest, err = s.rdb.ZRange(ctx, s.endedKey(), 0, 7).Result()
		return err
	}); err != nil {
		return false, unavailable("listing ended conferences", err)
	}
	for _, uuid := range oldest {
		var code int64
		err := s.call(ctx, func(ctx context.Context) (err error) {
			code, err = dropEnded.Eval(ctx, s.rdb, s.confKeys(uuid), newToken(), ms(s.opt.TurnLease), ms(c.endedTTL(lim)+s.opt.RememberEnded)).Int64()
			return err
		})
		switch {
		case err != nil:
			return false, unavailable("evicting an ended conference", err)
		case code == 0:
			continue // busy: an event of it is being applied
		case code == 3:
			c.reindex(ctx, uuid) // live, though indexed as ended
			continue
		}
		c.unindex(ctx, s.endedKey(), uuid, code == 1)
		return true, nil
	}
	return false, nil
}

// reindex puts uuid in the index its stored record belongs to, and takes
// it out of the other: after a commit refused as fenced off (its pipeline
// indexed the stale record) or an index found wrong. Nothing fences index
// writes (they are in other slots than the record), so a commit landing
// between the read of the record and the index writes would have its own
// index entries overwritten: the pipeline reads the record again after
// writing, and a changed record is indexed again. Failures are left to
// the next commit, or to Idle and eviction, which check the record.
func (c *conferences) reindex(ctx context.Context, uuid string) {
	ctx = context.WithoutCancel(ctx)
	s := c.s
	key := s.confKeys(uuid)[1]
	var blob []byte
	if err := s.call(ctx, func(ctx context.Context) (err error) {
		blob, err = s.rdb.Get(ctx, key).Bytes()
		return err
	}); err != nil {
		return // gone (expired, dropped), or Redis failing
	}
	for range 4 {
		rec := &track.Record{}
		if rec.UnmarshalBinary(blob) != nil {
			return
		}
		var after *redis.StringCmd
		if err := s.call(ctx, func(ctx context.Context) error {
			pipe := s.rdb.Pipeline()
			indexCommit(ctx, pipe, s, uuid, rec)
			after = pipe.Get(ctx, key)
			_, err := pipe.Exec(ctx)
			return err
		}); err != nil {
			return
		}
		next, err := after.Bytes()
		if err != nil || bytes.Equal(next, blob) {
			return
		}
		blob = next
	}
}

// indexCommit queues the index updates of a commit of rec: an ended
// conference in the ended index, a live one in the live index, each out
// of the other.
func indexCommit(ctx context.Context, pipe redis.Pipeliner, s *Store, uuid string, rec *track.Record) {
	if rec.Ended() {
		pipe.ZRem(ctx, s.liveKey(), uuid)
		pipe.ZAdd(ctx, s.endedKey(), redis.Z{Score: unixMs(rec.EndedLocal()), Member: uuid})
		return
	}
	pipe.ZRem(ctx, s.endedKey(), uuid)
	pipe.ZAdd(ctx, s.liveKey(), redis.Z{Score: unixMs(rec.LastActive()), Member: uuid})
}

// releaseTurn gives back the turn token may hold, with a deadline of its
// own (the caller's may have passed).
func (c *conferences) releaseTurn(ctx context.Context, keys []string, token string) {
	s := c.s
	s.call(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return turnRelease.Eval(ctx, s.rdb, keys[:1], token).Err()
	})
}

// unindex removes uuid from an index; when announce is set and this call
// removed it, it tells the watchers that the conference was dropped, so
// that of several replicas exactly one announces it.
func (c *conferences) unindex(ctx context.Context, index, uuid string, announce bool) {
	s := c.s
	var removed int64
	if err := s.call(ctx, func(ctx context.Context) (err error) {
		removed, err = s.rdb.ZRem(ctx, index, uuid).Result()
		return err
	}); err != nil || removed == 0 || !announce {
		return
	}
	payload, _ := json.Marshal([]track.Change{{Kind: track.ChangeRemoved, ConferenceUUID: uuid}})
	s.call(ctx, func(ctx context.Context) error { return s.rdb.Publish(ctx, s.channel(), payload).Err() })
}

// Load implements track.Store.
func (c *conferences) Load(ctx context.Context, uuid string) (*track.Record, error) {
	var blob []byte
	err := c.s.call(ctx, func(ctx context.Context) (err error) {
		blob, err = c.s.rdb.Get(ctx, c.s.confKeys(uuid)[1]).Bytes()
		return err
	})
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, unavailable("loading a conference", err)
	}
	rec := &track.Record{}
	if err := rec.UnmarshalBinary(blob); err != nil {
		return nil, unavailable("decoding a conference", err)
	}
	return rec, nil
}

// Range implements track.Store: the indexes name the conferences, read in
// pipelined batches; an entry whose record expired is passed over.
func (c *conferences) Range(ctx context.Context, fn func(*track.Record) bool) error {
	s := c.s
	var live, ended *redis.StringSliceCmd
	err := s.call(ctx, func(ctx context.Context) error {
		pipe := s.rdb.Pipeline()
		live, ended = pipe.ZRange(ctx, s.liveKey(), 0, -1), pipe.ZRange(ctx, s.endedKey(), 0, -1)
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		return unavailable("listing conferences", err)
	}
	uuids := append(live.Val(), ended.Val()...)
	// A conference in both indexes (a commit refused as fenced off whose
	// reindex failed) is read once.
	seen := make(map[string]bool, len(uuids))
	uuids = slices.DeleteFunc(uuids, func(u string) bool {
		dup := seen[u]
		seen[u] = true
		return dup
	})
	for start := 0; start < len(uuids); start += rangeBatch {
		batch := uuids[start:min(start+rangeBatch, len(uuids))]
		var gets []*redis.StringCmd
		err := s.call(ctx, func(ctx context.Context) error {
			pipe := s.rdb.Pipeline()
			gets = make([]*redis.StringCmd, len(batch))
			for i, uuid := range batch {
				gets[i] = pipe.Get(ctx, s.confKeys(uuid)[1])
			}
			_, err := pipe.Exec(ctx)
			if errors.Is(err, redis.Nil) {
				err = nil
			}
			return err
		})
		if err != nil {
			return unavailable("reading conferences", err)
		}
		for i, g := range gets {
			blob, err := g.Bytes()
			if err != nil {
				continue // expired since the index was read
			}
			rec := &track.Record{}
			if err := rec.UnmarshalBinary(blob); err != nil {
				s.opt.Logger.Warn("redisstore: a conference's record cannot be decoded; skipped", "conference_uuid", batch[i], "error", err)
				continue
			}
			if !fn(rec) {
				return nil
			}
		}
	}
	return nil
}

// Idle implements track.Store, from the live index; entries whose record
// has expired are removed from it on the way.
func (c *conferences) Idle(ctx context.Context, before time.Time) ([]string, error) {
	s := c.s
	var uuids []string
	err := s.call(ctx, func(ctx context.Context) (err error) {
		uuids, err = s.rdb.ZRangeByScore(ctx, s.liveKey(), &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(before.UnixMilli(), 10), Count: 1000,
		}).Result()
		return err
	})
	if err != nil {
		return nil, unavailable("listing idle conferences", err)
	}
	present, ended, err := c.existing(ctx, uuids)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, uuid := range uuids {
		switch {
		case !present[i]:
			c.unindex(ctx, s.liveKey(), uuid, false)
		case ended[i]:
			c.reindex(ctx, uuid) // ended, though indexed as live
		default:
			out = append(out, uuid)
		}
	}
	return out, nil
}

// Expire implements track.Store. Redis drops ended records by their TTL;
// Expire cleans their index entries, and announces each drop once.
func (c *conferences) Expire(ctx context.Context, now time.Time, lim track.Limits) error {
	s := c.s
	if lim.Retention < 0 {
		return nil
	}
	var uuids []string
	err := s.call(ctx, func(ctx context.Context) (err error) {
		uuids, err = s.rdb.ZRangeByScore(ctx, s.endedKey(), &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(now.Add(-lim.Retention).UnixMilli(), 10), Count: 1000,
		}).Result()
		return err
	})
	if err != nil {
		return unavailable("listing expired conferences", err)
	}
	present, _, err := c.existing(ctx, uuids)
	if err != nil {
		return err
	}
	for i, uuid := range uuids {
		if !present[i] {
			c.unindex(ctx, s.endedKey(), uuid, true)
		}
	}
	return nil
}

// existing reports, for each uuid, whether its record exists, and whether
// it has ended (its marker, which only an ended commit sets, exists).
func (c *conferences) existing(ctx context.Context, uuids []string) (present, ended []bool, err error) {
	s := c.s
	present, ended = make([]bool, len(uuids)), make([]bool, len(uuids))
	for start := 0; start < len(uuids); start += rangeBatch {
		batch := uuids[start:min(start+rangeBatch, len(uuids))]
		err := s.call(ctx, func(ctx context.Context) error {
			pipe := s.rdb.Pipeline()
			recs, markers := make([]*redis.IntCmd, len(batch)), make([]*redis.IntCmd, len(batch))
			for i, uuid := range batch {
				keys := s.confKeys(uuid)
				recs[i], markers[i] = pipe.Exists(ctx, keys[1]), pipe.Exists(ctx, keys[2])
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
			for i := range batch {
				present[start+i] = recs[i].Val() == 1
				ended[start+i] = present[start+i] && markers[i].Val() == 1
			}
			return nil
		})
		if err != nil {
			return nil, nil, unavailable("checking conferences", err)
		}
	}
	return present, ended, nil
}

// liveTTL and endedTTL are how long Redis keeps a record: a live one long
// enough for the idle sweep to end it, an ended one for Retention.
func (c *conferences) liveTTL(lim track.Limits) time.Duration {
	if lim.MaxIdle < 0 {
		return DefaultNoTTL
	}
	return lim.MaxIdle + max(lim.MaxIdle/4, time.Hour)
}

func (c *conferences) endedTTL(lim track.Limits) time.Duration {
	if lim.Retention < 0 {
		return DefaultNoTTL
	}
	return lim.Retention
}
