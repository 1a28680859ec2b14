package track

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vobizhook/vobizhook"
)

// The binary form of a Record, for stores that keep records outside the
// process (redisstore). It is a version byte, then the scalars, then the
// members, then the dropped-member hashes: unsigned varints, strings and
// byte runs length-prefixed, times as Unix nanoseconds (zero for the zero
// time; they come back in UTC). The order of past records is kept in each
// record (pastSeq), so the past index is rebuilt on decoding, not stored.
// A record of a conference with n members takes about 60 + n x (the
// member's IDs and numbers + 20) bytes; BENCHMARKS.md has the measured
// figures in Redis.

const recordVersion = 1

// ErrBadRecord is returned (wrapped) by [Record.UnmarshalBinary] for data
// that is not a Record this version wrote.
var ErrBadRecord = errors.New("track: malformed record")

// MarshalBinary encodes r, for a [Store] that keeps records as bytes.
func (r *Record) MarshalBinary() ([]byte, error) {
	m := &r.m
	b := make([]byte, 0, 96+r.roster.Len()*96)
	b = append(b, recordVersion)
	for _, s := range [...]string{m.uuid, m.name, string(m.startedBy), string(m.endReason), m.recordingURL} {
		b = appendString(b, s)
	}
	var flags uint64
	for i, f := range [...]bool{m.started, m.ended, m.providerStart, m.providerEnd, m.informed} {
		if f {
			flags |= 1 << i
		}
	}
	b = binary.AppendUvarint(b, flags)
	for _, t := range [...]time.Time{m.startedAt, m.endedAt, m.lastAt, m.lastActive, m.endedLocal} {
		b = appendTime(b, t)
	}
	for _, n := range [...]uint64{uint64(m.awaitingEnter), uint64(m.present), uint64(m.peak), uint64(m.pastDropped), m.pastHead, m.pastTail} {
		b = binary.AppendUvarint(b, n)
	}
	b = binary.AppendUvarint(b, uint64(r.roster.Len()))
	r.roster.Range(func(_ memberKey, rec *memberRec) bool {
		for _, s := range [...]string{rec.key.call, rec.key.member, rec.from, rec.to, rec.direction} {
			b = appendString(b, s)
		}
		b = appendTime(b, rec.joined)
		b = appendTime(b, rec.left)
		var f uint64
		for i, x := range [...]bool{rec.enterSeen, rec.exitSeen, rec.present} {
			if x {
				f |= 1 << i
			}
		}
		b = binary.AppendUvarint(b, f)
		b = binary.AppendUvarint(b, rec.pastSeq)
		return true
	})
	for _, d := range [...]dropSet{r.dropped, r.droppedPrev} {
		b = binary.AppendUvarint(b, uint64(d.Len()))
		d.each(func(h uint64) { b = binary.LittleEndian.AppendUint64(b, h) })
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded into r. The error
// wraps [ErrBadRecord].
func (r *Record) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if v := d.byte(); v != recordVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadRecord, v, recordVersion)
	}
	var n Record
	m := &n.m
	m.uuid, m.name = d.string(), d.string()
	m.startedBy, m.endReason = vobizhook.Action(d.string()), EndReason(d.string())
	m.recordingURL = d.string()
	flags := d.uvarint()
	m.started, m.ended, m.providerStart, m.providerEnd, m.informed =
		flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0, flags&16 != 0
	m.startedAt, m.endedAt, m.lastAt, m.lastActive, m.endedLocal = d.time(), d.time(), d.time(), d.time(), d.time()
	m.awaitingEnter, m.present, m.peak, m.pastDropped = d.int(), d.int(), d.int(), d.int()
	m.pastHead, m.pastTail = d.uvarint(), d.uvarint()
	members := d.count(9)
	present := 0
	e := newEdit()
	var past []*memberRec
	for range members {
		rec := &memberRec{}
		rec.key.call, rec.key.member, rec.from, rec.to, rec.direction = d.string(), d.string(), d.string(), d.string(), d.string()
		rec.joined, rec.left = d.time(), d.time()
		f := d.uvarint()
		rec.enterSeen, rec.exitSeen, rec.present = f&1 != 0, f&2 != 0, f&4 != 0
		rec.pastSeq = d.uvarint()
		if d.err != nil {
			break
		}
		n.roster = n.roster.setIn(e, rec.key.hash(), rec)
		if rec.present {
			present++
		} else {
			past = append(past, rec)
		}
	}
	n.past = pastQueueOf(past)
	for _, dst := range [...]*dropSet{&n.dropped, &n.droppedPrev} {
		hs := make([]uint64, d.count(8))
		for i := range hs {
			hs[i] = d.uint64()
		}
		*dst = dropSetOf(hs)
	}
	switch {
	case d.err != nil:
		return d.err
	case len(d.b) != 0:
		return fmt.Errorf("%w: %d bytes left over", ErrBadRecord, len(d.b))
	case n.roster.Len() != members || present != m.present:
		return fmt.Errorf("%w: inconsistent member counts", ErrBadRecord)
	}
	*r = n
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, math.MinInt64)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

// decoder reads the encoding; the first problem sticks in err and makes
// every later read return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", ErrBadRecord, what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("version")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.fail("count")
		return 0
	}
	return int(v)
}

// count reads a number of items of at least min bytes each, refusing one
// the remaining bytes cannot hold.
func (d *decoder) count(min int) int {
	v := d.uvarint()
	if v > uint64(len(d.b)/min+1) {
		d.fail("length")
		return 0
	}
	return int(v)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("time")
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail("hash")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}
