package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook/track"
)

// pingEvery is how long a quiet subscription waits before it checks its
// connection with a PING: a Redis that vanished without closing the
// connection is noticed within about this long.
const pingEvery = 15 * time.Second

// Watch implements track.Store with Redis pub/sub on "<prefix>changes",
// where every commit script publishes its changes: a subscriber on any
// replica receives the changes of all of them, in commit order for each
// conference (a conference's commits run on one node, one at a time).
//
// Pub/sub keeps nothing: changes published while this process is not
// connected are lost. go-redis reconnects and subscribes again by itself;
// lost is then called, so that the Tracker marks the next change it
// delivers with Dropped, and its subscribers re-read the state. Watch
// waits, for at most Options.Timeout, until Redis confirms the
// subscription, so that changes committed after it returns are delivered;
// if Redis does not confirm in time, it calls lost and keeps trying.
func (c *conferences) Watch(deliver func(track.Change), lost func()) (stop func()) {
	s := c.s
	ctx, cancel := context.WithCancel(context.Background())
	ps := s.rdb.Subscribe(ctx)
	confirmed := false
	if err := s.call(ctx, func(ctx context.Context) error {
		if err := ps.Subscribe(ctx, s.channel()); err != nil {
			return err
		}
		_, err := ps.ReceiveTimeout(ctx, s.opt.Timeout)
		return err
	}); err == nil {
		confirmed = true
	} else {
		lost()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.receive(ctx, ps, confirmed, deliver, lost)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			ps.Close()
			wg.Wait()
		})
	}
}

func (c *conferences) receive(ctx context.Context, ps *redis.PubSub, subscribed bool, deliver func(track.Change), lost func()) {
	s := c.s
	backoff := 10 * time.Millisecond
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, pingEvery)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if isTimeout(err) {
				if s.call(ctx, func(ctx context.Context) error { return ps.Ping(ctx) }) == nil {
					continue
				}
			}
			if subscribed {
				lost()
				subscribed = false
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				if !subscribed {
					lost() // back after a gap: what was published meanwhile is gone
				}
				subscribed = true
			}
		case *redis.Message:
			var changes []track.Change
			if err := json.Unmarshal([]byte(m.Payload), &changes); err != nil {
				s.opt.Logger.Warn("redisstore: a message on the changes channel is not a list of changes; ignored", "channel", m.Channel, "error", err)
				continue
			}
			for _, ch := range changes {
				deliver(ch)
			}
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
