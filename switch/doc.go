// Package netswitch owns the switch's network sessions: one listener per
// card network, the connections it accepts, framing on the socket,
// pipelining, deadlines and stand-in, network management, and routing each
// request by message type to the decider. It knows nothing of how a
// decision is made or how money is stored: the rules engine (Decider) and
// the ledger (Durability) are passed in at wiring time.
//
// # Connections
//
// Each connection has one reader and one writer goroutine. The reader
// reads into a reused 128 KiB buffer, splits frames where they lie
// (spec.Network.NextFrame), decodes each request with the hot-path codec and
// decides it in place: a decision is microseconds of CPU and the only wait
// on the request path is the journal's group commit, which the reader does
// not wait for. It registers the answer with the ledger's durability
// callback and reads on, so many requests of one connection are in flight
// at once and are answered as their journal entries become durable, not in
// arrival order. A semaphore of MaxInFlight slots per connection bounds
// them: when it is full the reader stops reading (TCP backpressure) and
// never drops a request.
//
// The writer coalesces: answers released by the committer are appended to
// one buffer and written with one system call whenever the writer wakes,
// so under load many answers share a write. The writer's ticker also
// enforces deadlines and the idle echo.
//
// # Deadlines and stand-in
//
// Every request carries a deadline (ListenerConfig.Deadline, default
// 1.5 s). A request still unanswered at its deadline is answered from the
// stand-in policy: decline 91, or approve up to StandInLimit (recorded in
// the ledger as a forced hold, auth code "S" + STAN). A decision that
// becomes ready after its deadline is dropped and counted
// (authswitch_late_answers_total) and, for an authorization that placed a
// hold, voided, so the ledger agrees with what the network was told.
// A stand-in approval is answered at once and recorded after: waiting for
// the journal is what made it late. Its risk is bounded by StandInLimit.
//
// # Network management and bad input
//
// 0800 sign-on, sign-off and echo are answered at once (field 39 00); a
// request on a signed-off connection is still answered. Visa keep-alives
// (a zero-length frame) are echoed. A connection idle for IdleEcho gets
// the switch's own echo and is closed after EchoMisses go unanswered. A
// frame that cannot be decoded is answered 30 when the codec can build an
// answer, otherwise counted and skipped; oversized frames are read,
// discarded and counted; a half frame that stalls for PartialTimeout closes
// the connection. None of these affects the other requests in flight.
//
// # Why not moov-io/iso8583-connection on the server side
//
// connection.NewFrom wraps an accepted net.Conn, but it unpacks every
// message with moov's Message (tens of microseconds and ~100 allocations
// each), starts a goroutine per inbound message without bound, and sets no
// socket deadlines. The loop here decodes in place with the hot-path codec,
// bounds in-flight work per connection and coalesces writes; see
// BenchmarkSessionLoop and BenchmarkMoovConnection for the measured
// difference. The network simulator (bench/) uses moov's connection on the
// client side, the way a network's client would.
//
// # Lock order
//
// conn.mu is a leaf lock: nothing else is locked while it is held, except
// that the stand-in path reads the request (immutable once decoded) and
// builds its answer under it. The durability callbacks run on the ledger's
// committer and take only conn.mu.
package netswitch
