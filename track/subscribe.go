package track

import "sync"

// hub fans the changes a Store delivers out to a Tracker's subscribers,
// numbering them. It watches the store only while someone subscribes.
type hub struct {
	mu   sync.Mutex // guards subs and seq; held while delivering, so Seq is the delivery order
	subs map[*subscriber]struct{}
	seq  uint64
	lost bool // the store lost changes: the next delivery says so

	watchMu sync.Mutex // guards stop; never held with mu
	stop    func()
	nsubs   int
}

type subscriber struct {
	ch chan Change
}

// Subscribe returns a channel of the changes committed from now on, by this
// Tracker or, with a shared Store, by any Tracker sharing it, and a func
// that ends the subscription and closes the channel.
//
// Sending never blocks the tracker. The channel buffers buf changes (at
// least 1). When a change finds it full, the consumer has fallen behind:
// every buffered change is discarded and the new one is delivered first,
// with the number discarded in Dropped. So a consumer learns of a loss at
// its next receive, and should then re-read [Tracker.Conferences] (which
// already holds the discarded changes' effects) instead of working through
// stale changes. To start a page, subscribe first, then read the snapshot,
// then apply changes: nothing is missed.
//
// With a shared store, changes travel through it (redisstore uses Redis
// pub/sub): those committed while the connection to it is down are lost,
// and the first change after it is back carries Dropped of at least 1.
func (t *Tracker) Subscribe(buf int) (<-chan Change, func()) {
	h := &t.hub
	s := &subscriber{ch: make(chan Change, max(buf, 1))}
	h.watchMu.Lock()
	h.nsubs++
	if h.nsubs == 1 {
		h.stop = t.store().Watch(h.deliver, h.markLost)
	}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[*subscriber]struct{})
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	h.watchMu.Unlock()

	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			h.watchMu.Lock()
			defer h.watchMu.Unlock()
			h.mu.Lock()
			delete(h.subs, s)
			close(s.ch)
			h.mu.Unlock()
			h.nsubs--
			if h.nsubs == 0 && h.stop != nil {
				h.stop()
				h.stop = nil
			}
		})
	}
}

// deliver numbers ch and hands each subscriber its own copy.
func (h *hub) deliver(ch Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ch.Seq = h.seq
	ch.Dropped = 0
	lost := h.lost
	h.lost = false
	for s := range h.subs {
		c := ch
		if c.Member != nil {
			m := *c.Member
			c.Member = &m
		}
		if lost {
			c.Dropped = 1
		}
		s.send(c)
	}
}

func (h *hub) markLost() {
	h.mu.Lock()
	h.lost = true
	h.mu.Unlock()
}

// send delivers ch. When the buffer is full, the subscriber has fallen
// behind and must re-read the state anyway, so what is buffered is stale:
// send discards all of it and enqueues ch alone, carrying the count in
// Dropped, so the consumer learns of the loss at its very next receive
// instead of after working through a full buffer of stale changes. Only
// deliver sends, under hub.mu, so after the drain there is room.
func (s *subscriber) send(ch Change) {
	select {
	case s.ch <- ch:
		return
	default:
	}
	dropped := ch.Dropped
drain:
	for {
		select {
		case old := <-s.ch:
			dropped += 1 + old.Dropped
		default:
			break drain
		}
	}
	ch.Dropped = dropped
	select {
	case s.ch <- ch:
	default: // unreachable: the buffer was just emptied under hub.mu
	}
}
