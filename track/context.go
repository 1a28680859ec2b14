package track

import (
	"context"
	"sync/atomic"
)

type previewKey struct{}

// preview is what FromContext returns inside a func: the record as it will
// be once the func's step is committed.
type preview struct {
	rec  *Record
	done atomic.Bool
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
