package ledger_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes what it opened: no committer, checkpoint or Pebble
// goroutine may outlive its ledger.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
