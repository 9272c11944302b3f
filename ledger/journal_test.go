package ledger

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestPendingBatchInPlace: the journal's pending buffer is committed to
// Pebble as the batch itself. A batch of many chunks (and the feed's
// acknowledgement) reads back entry by entry, numbered in order, with the
// chunk list the trimming relies on; a batch Pebble may keep is not
// reused.
func TestPendingBatchInPlace(t *testing.T) {
	for _, keep := range []bool{false, true} {
		l := &Ledger{opts: Options{FS: vfs.NewMem()}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		db, err := l.openPebble()
		if err != nil {
			t.Fatal(err)
		}
		st := &store{db: db, largeBatch: memTableSize / 4}
		if keep {
			st.largeBatch = 1
		}
		var p pendingBatch
		p.reset(nil)
		const n = 3000
		for seq := uint64(1); seq <= n; seq++ {
			e := sampleEntry()
			e.Descriptor.MerchantName = strings.Repeat("M", int(seq%500))
			b := appendEntry(nil, &e)
			numberEntry(b, seq)
			p.add(seq, b)
		}
		p.closeChunk(n)
		if len(p.chunks) < 3 {
			t.Fatalf("%d chunks: the test wants several", len(p.chunks))
		}
		st.ack(7)
		if err := st.writeBatch(&p, true); err != nil {
			t.Fatal(err)
		}
		if (p.repr == nil) != keep {
			t.Fatalf("keep %v: buffer handed back %v", keep, p.repr != nil)
		}
		var got Entry
		next := uint64(1)
		err = st.scanJournal(1, func(seq uint64, b []byte) error {
			if err := decodeEntry(b, &got); err != nil {
				return err
			}
			if seq != next || got.Seq != seq || len(got.Descriptor.MerchantName) != int(seq%500) {
				return fmt.Errorf("entry %d read as %d (seq %d)", next, seq, got.Seq)
			}
			next++
			return nil
		})
		if err != nil || next != n+1 {
			t.Fatalf("read %d entries: %v", next-1, err)
		}
		first, bytes := uint64(1), 0
		for _, c := range st.chunks {
			if c.first != first || c.last < c.first || c.bytes <= 0 {
				t.Fatalf("chunks %+v", st.chunks)
			}
			first, bytes = c.last+1, bytes+c.bytes
		}
		if first != n+1 {
			t.Fatalf("chunks end at %d, %d value bytes", first-1, bytes)
		}
		var acked uint64
		if ok, err := st.getUint64s(keyAck, &acked); !ok || err != nil || acked != 7 || st.ackDisk != 7 {
			t.Fatalf("acknowledgement %d (%v, %v), on disk %d", acked, ok, err, st.ackDisk)
		}
		st.close()
	}
}
