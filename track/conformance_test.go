package track_test

import (
	"testing"

	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// The memory store passes the contract other stores are held to.
func TestMemoryStoreConformance(t *testing.T) {
	vobizhooktest.TestTrackStore(t, func(*testing.T) track.Store { return track.NewMemoryStore() })
}
