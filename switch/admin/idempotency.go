package admin

import (
	"crypto/sha256"
	"net/http"

	"github.com/authswitch/authswitch/ledger"
)

// MaxIdempotencyKeyLen bounds an idempotency key.
const MaxIdempotencyKeyLen = 255

// classAdmin marks the ledger request keys of admin operations; network
// requests carry a network (1, 2) in the key's first byte, these carry 0.
const classAdmin byte = 0xAD

// idem is the idempotency of one request.
type idem struct {
	key string // "" when the request carries none
}

// ledgerKey is the ledger request key of an admin money movement: derived
// from the idempotency key and the request path, so that a retry reaches
// the ledger as a repeat even if the kept answer was lost.
func (o idem) ledgerKey(path string) ledger.RequestKey {
	var k ledger.RequestKey
	k[0], k[1] = 0, classAdmin
	sum := sha256.Sum256([]byte("ledger-request\x00" + path + "\x00" + o.key))
	copy(k[2:], sum[:])
	return k
}

// idempotent answers c through run at most once per idempotency key (the
// header's, or key when the body carries one): a second request with the
// same key gets the kept answer when its method, path and canonical body
// are the same, else 409. Answers under 500 are kept; a failure of the
// switch is not, so that a retry can succeed. canonical is the body as it
// identifies the request (a card's number replaced by its token).
func (a *API) idempotent(c *call, key string, required bool, canonical []byte, run func(idem) reply) reply {
	header := c.r.Header.Get("Idempotency-Key")
	switch {
	case key != "" && header != "" && key != header:
		return errorReply(invalid("idempotency_key_mismatch", "idempotency_key",
			"The body's idempotency_key and the Idempotency-Key header differ."))
	case key == "":
		key = header
	}
	if key == "" {
		if required {
			return errorReply(invalid("idempotency_key_missing", "Idempotency-Key",
				"This request moves money: send an Idempotency-Key header (a UUID, say) and reuse it on retries."))
		}
		return run(idem{})
	}
	if !validIdempotencyKey(key) {
		return errorReply(invalid("idempotency_key_invalid", "Idempotency-Key",
			"An idempotency key is 1 to 255 printable ASCII characters without spaces."))
	}
	sum := idemSum(key)
	h := sha256.New()
	h.Write([]byte(c.r.Method + " " + c.r.URL.Path + "\n"))
	h.Write(canonical)
	var fp [32]byte
	h.Sum(fp[:0])

	a.inflightMu.Lock()
	if a.inflight[sum] {
		a.inflightMu.Unlock()
		return errorReply(conflict("idempotency_key_in_use",
			"A request with this idempotency key is being answered; retry once it is."))
	}
	a.inflight[sum] = true
	a.inflightMu.Unlock()
	defer func() {
		a.inflightMu.Lock()
		delete(a.inflight, sum)
		a.inflightMu.Unlock()
	}()

	now := a.now()
	kept, found, err := a.state.lookup(&sum, now)
	if err != nil {
		a.log.Error("admin: idempotency lookup failed", "request_id", c.id, "err", err)
		return errorReply(unavailable("idempotency_unavailable", "Idempotency keys cannot be checked now; try again."))
	}
	if found {
		if kept.fingerprint != fp {
			return errorReply(conflict("idempotency_key_reused",
				"This idempotency key was used for another request (its method, path or body differ)."))
		}
		a.m.replays.Inc()
		return reply{status: kept.status, body: kept.body, replayed: true}
	}
	rep := run(idem{key: key})
	if rep.status < http.StatusInternalServerError {
		if err := a.state.keep(&sum, &answer{created: now, status: rep.status, fingerprint: fp, body: rep.body}); err != nil {
			// The write itself is done (and, for money, idempotent at the
			// ledger): answer it, and say why a replay may differ.
			a.log.Error("admin: keeping an idempotent answer failed", "request_id", c.id, "route", c.route.name, "err", err)
		}
	}
	return rep
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}
