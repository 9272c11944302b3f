// Package segment is the feed's embedded sink: rotating JSON Lines segment
// files under a directory, and the reader that consumes them.
//
// Each segment is named by the sequence number of its first record
// (twenty digits, so names sort as numbers) and holds whole windows of
// consecutive records. The writer appends each group of windows with
// whole lines, fsyncs once per group before acknowledging any window in
// it, rotates by size or age, and syncs the directory when it creates a
// segment. A failed write is cut back to the last sync, so no torn line
// survives; a crash mid-write leaves at most a partial last line, which
// the next Open cuts before starting a new segment.
//
// The Reader reads while the writer writes: it delivers only lines ended
// by '\n', moves to the next segment only after reading the current one to
// its end once the next exists (the writer creates it only after
// finishing the current), skips entries at or below its high-water mark
// (a window written again across a restart), and stops with ErrGap when
// an entry is missing.
package segment
