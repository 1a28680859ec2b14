package vobizhook_test

import (
	"testing"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// The memory store passes the contract other stores are held to.
func TestMemoryNonceStoreConformance(t *testing.T) {
	vobizhooktest.TestNonceStore(t, func(*testing.T) vobizhook.NonceStore { return vobizhook.NewMemoryNonceStore(0) })
}
