package track

import (
	"context"
	"sync/atomic"
)

type previewKey struct{}

// preview is what FromContext returns inside a func: the record as it will
// be once the func's step is committed. It is the func's context too (its
// parent's, with one more value), so a func call costs one allocation for
// both.
type preview struct {
	context.Context
	rec  *Record
	done atomic.Bool
}

// Value returns the preview itself for previewKey, else the parent's value.
func (p *preview) Value(key any) any {
	if key == (previewKey{}) {
		return p
	}
	return p.Context.Value(key)
}

// FromContext returns, inside a func called by a [Tracker] (a Handler's
// OnStart, OnEnter, OnExit or OnEnd, or the Tracker's OnIdleEnd), the
// conference as it will be once the current step is committed: in OnEnter
// the member is present, in OnEnd the conference is ended and its members
// are in Past. It costs the same whatever the room's size. It reports false
// outside such a func, and after the func returned; a Snapshot it returned
// stays valid.
func FromContext(ctx context.Context) (Snapshot, bool) {
	p, _ := ctx.Value(previewKey{}).(*preview)
	if p == nil || p.done.Load() {
		return Snapshot{}, false
	}
	return p.rec.Snapshot(), true
}
