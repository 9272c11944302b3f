// Package client is a Go client of the switch's admin API (package admin),
// for switchctl and for programs such as the settlement tool.
//
// Requests that move money or create objects carry an idempotency key: the
// caller's, or a fresh random one. A request that fails on the way (no
// answer, or the switch answered 500, 502, 503 or 504, or 409 because the
// same key is still being answered) is sent again with the same key, a
// bounded number of times, so a retry never moves money twice. Errors the
// API answers come back as *resource.Error.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authswitch/authswitch/switch/admin/resource"
)

// Client calls the admin API. It is safe for concurrent use.
type Client struct {
	base     string // scheme://host[:port]
	token    string
	http     *http.Client
	attempts int
	backoff  time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetries sets how many times a failed request is sent in all (3) and
// the first pause between attempts (200 ms, doubling).
func WithRetries(attempts int, backoff time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff = max(attempts, 1), backoff }
}

// New returns a client of the API at addr ("http://host:port", or
// "host:port" for plain HTTP) authenticating with token.
func New(addr, token string, opts ...Option) (*Client, error) {
	if token == "" {
		return nil, errors.New("client: no token")
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("client: address %q is not http(s)://host:port", addr)
	}
	c := &Client{base: u.Scheme + "://" + u.Host, token: token, http: &http.Client{Timeout: 30 * time.Second},
		attempts: 3, backoff: 200 * time.Millisecond}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// NewIdempotencyKey returns a fresh random key (a UUID, version 4).
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// call is one API request.
type call struct {
	method, path string
	body         any
	idempotent   bool   // send an idempotency key (key, or a fresh one)
	key          string // the caller's idempotency key
}

// do sends a request (again, on a failure on the way, with the same key)
// and decodes the answer into out.
func (c *Client) do(ctx context.Context, r call, out any) error {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("client: encoding the request: %w", err)
		}
		// The body may hold a card number: clear it once sent.
		defer clear(body)
	}
	key := r.key
	if r.idempotent && key == "" {
		key = NewIdempotencyKey()
	}
	retryable := r.method == http.MethodGet || r.method == http.MethodPut || key != ""
	var last error
	pause := c.backoff
	for attempt := 1; attempt <= c.attempts; attempt++ {
		status, data, err := c.once(ctx, r.method, r.path, key, body)
		switch {
		case err != nil:
			last = err
		case status >= 200 && status < 300:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("client: decoding the answer of %s %s: %w", r.method, r.path, err)
			}
			return nil
		default:
			e := apiError(status, data)
			if !retryable || !transient(e) {
				return e
			}
			last = e
		}
		if !retryable || attempt == c.attempts {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(last, ctx.Err())
		case <-time.After(pause):
		}
		pause *= 2
	}
	return last
}

// transient reports an answer worth sending again with the same key.
func transient(e *resource.Error) bool {
	switch e.Status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return e.Code == "idempotency_key_in_use"
	}
	return false
}

func (c *Client) once(ctx context.Context, method, path, key string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		// url.Error quotes the URL, which holds only ids; never a body.
		return 0, nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("client: reading the answer of %s %s: %w", method, path, err)
	}
	return res.StatusCode, data, nil
}

func apiError(status int, data []byte) *resource.Error {
	var eb resource.ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil || eb.Error == nil {
		return &resource.Error{Status: status, Type: resource.ErrorTypeAPI, Code: "http_" + strconv.Itoa(status),
			Message: http.StatusText(status)}
	}
	eb.Error.Status = status
	return eb.Error
}

func seg(id string) string { return url.PathEscape(id) }

// Accounts.

// GetAccount returns an account with its balances and open holds.
func (c *Client) GetAccount(ctx context.Context, id string) (resource.Account, error) {
	var a resource.Account
	return a, c.do(ctx, call{method: "GET", path: "/v1/accounts/" + seg(id)}, &a)
}

// CreateAccount creates an account; key may be empty (a fresh one is used).
func (c *Client) CreateAccount(ctx context.Context, p resource.AccountCreateParams, key string) (resource.Account, error) {
	var a resource.Account
	return a, c.do(ctx, call{method: "POST", path: "/v1/accounts", body: p, idempotent: true, key: key}, &a)
}

// UpdateAccount changes an account's status, credit limit or controls.
func (c *Client) UpdateAccount(ctx context.Context, id string, p resource.AccountUpdateParams) (resource.Account, error) {
	var a resource.Account
	return a, c.do(ctx, call{method: "POST", path: "/v1/accounts/" + seg(id), body: p, idempotent: true}, &a)
}

// Fund adds p.Amount to an account's posted balance.
func (c *Client) Fund(ctx context.Context, id string, p resource.AdjustParams, key string) (resource.Adjustment, error) {
	var a resource.Adjustment
	return a, c.do(ctx, call{method: "POST", path: "/v1/accounts/" + seg(id) + "/fund", body: p, idempotent: true, key: key}, &a)
}

// Debit takes p.Amount from an account's posted balance.
func (c *Client) Debit(ctx context.Context, id string, p resource.AdjustParams, key string) (resource.Adjustment, error) {
	var a resource.Adjustment
	return a, c.do(ctx, call{method: "POST", path: "/v1/accounts/" + seg(id) + "/debit", body: p, idempotent: true, key: key}, &a)
}

// ListHolds returns a page of an account's open holds, oldest first.
func (c *Client) ListHolds(ctx context.Context, account string, limit int, startingAfter string) (resource.List[resource.Hold], error) {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if startingAfter != "" {
		v.Set("starting_after", startingAfter)
	}
	path := "/v1/accounts/" + seg(account) + "/holds"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var l resource.List[resource.Hold]
	return l, c.do(ctx, call{method: "GET", path: path}, &l)
}

// Cardholders.

// GetCardholder returns a cardholder.
func (c *Client) GetCardholder(ctx context.Context, id string) (resource.Cardholder, error) {
	var h resource.Cardholder
	return h, c.do(ctx, call{method: "GET", path: "/v1/cardholders/" + seg(id)}, &h)
}

// CreateCardholder creates a cardholder of an account.
func (c *Client) CreateCardholder(ctx context.Context, p resource.CardholderCreateParams, key string) (resource.Cardholder, error) {
	var h resource.Cardholder
	return h, c.do(ctx, call{method: "POST", path: "/v1/cardholders", body: p, idempotent: true, key: key}, &h)
}

// UpdateCardholder changes a cardholder's status or controls.
func (c *Client) UpdateCardholder(ctx context.Context, id string, p resource.CardholderUpdateParams) (resource.Cardholder, error) {
	var h resource.Cardholder
	return h, c.do(ctx, call{method: "POST", path: "/v1/cardholders/" + seg(id), body: p, idempotent: true}, &h)
}

// Cards.

// GetCard returns a card (its last four digits, never its number).
func (c *Client) GetCard(ctx context.Context, id string) (resource.Card, error) {
	var k resource.Card
	return k, c.do(ctx, call{method: "GET", path: "/v1/cards/" + seg(id)}, &k)
}

// CreateCard creates a card from its number (p.PAN).
func (c *Client) CreateCard(ctx context.Context, p resource.CardCreateParams, key string) (resource.Card, error) {
	var k resource.Card
	return k, c.do(ctx, call{method: "POST", path: "/v1/cards", body: p, idempotent: true, key: key}, &k)
}

// UpdateCard changes a card: freeze (status inactive), cancel (canceled,
// with a reason), expiry, controls.
func (c *Client) UpdateCard(ctx context.Context, id string, p resource.CardUpdateParams) (resource.Card, error) {
	var k resource.Card
	return k, c.do(ctx, call{method: "POST", path: "/v1/cards/" + seg(id), body: p, idempotent: true}, &k)
}

// Card keys.

// PutCardKeys creates or replaces the card verification keys of a prefix.
func (c *Client) PutCardKeys(ctx context.Context, prefix string, p resource.CardKeysParams) (resource.CardKeys, error) {
	var k resource.CardKeys
	return k, c.do(ctx, call{method: "PUT", path: "/v1/card_keys/" + seg(prefix), body: p}, &k)
}

// ListCardKeys describes every key pair by its key check value.
func (c *Client) ListCardKeys(ctx context.Context) (resource.List[resource.CardKeys], error) {
	var l resource.List[resource.CardKeys]
	return l, c.do(ctx, call{method: "GET", path: "/v1/card_keys"}, &l)
}

// Program rules.

// ListProgramRules returns the program rules in force.
func (c *Client) ListProgramRules(ctx context.Context) (resource.List[resource.ProgramRule], error) {
	var l resource.List[resource.ProgramRule]
	return l, c.do(ctx, call{method: "GET", path: "/v1/program_rules"}, &l)
}

// ReplaceProgramRules puts a new set of program rules in force.
func (c *Client) ReplaceProgramRules(ctx context.Context, p resource.ProgramRulesParams) (resource.List[resource.ProgramRule], error) {
	var l resource.List[resource.ProgramRule]
	if p.Rules == nil {
		p.Rules = []resource.ProgramRuleParams{}
	}
	return l, c.do(ctx, call{method: "PUT", path: "/v1/program_rules", body: p}, &l)
}

// ReloadProgramRules makes the switch read its rule file again.
func (c *Client) ReloadProgramRules(ctx context.Context) (resource.List[resource.ProgramRule], error) {
	var l resource.List[resource.ProgramRule]
	return l, c.do(ctx, call{method: "POST", path: "/v1/program_rules/reload", idempotent: true}, &l)
}

// Authorizations.

// GetAuthorization returns an authorization by id (auth_…).
func (c *Client) GetAuthorization(ctx context.Context, id string) (resource.Authorization, error) {
	var a resource.Authorization
	return a, c.do(ctx, call{method: "GET", path: "/v1/authorizations/" + seg(id)}, &a)
}

// AuthorizationQuery selects a page of authorizations.
type AuthorizationQuery struct {
	Card, Account string // at most one
	Limit         int    // 1–100 (0: the API's default, 10)
	StartingAfter string // the last id of the previous page
}

// ListAuthorizations returns a page of authorizations, newest first.
func (c *Client) ListAuthorizations(ctx context.Context, q AuthorizationQuery) (resource.List[resource.Authorization], error) {
	v := url.Values{}
	if q.Card != "" {
		v.Set("card", q.Card)
	}
	if q.Account != "" {
		v.Set("account", q.Account)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.StartingAfter != "" {
		v.Set("starting_after", q.StartingAfter)
	}
	path := "/v1/authorizations"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var l resource.List[resource.Authorization]
	return l, c.do(ctx, call{method: "GET", path: path}, &l)
}

// Holds and captures.

// CaptureHold captures an open hold.
func (c *Client) CaptureHold(ctx context.Context, id string, p resource.HoldCaptureParams, key string) (resource.Capture, error) {
	var k resource.Capture
	return k, c.do(ctx, call{method: "POST", path: "/v1/holds/" + seg(id) + "/capture", body: p, idempotent: true, key: key}, &k)
}

// ReleaseHold releases an open hold, whole (p.Amount 0) or in part.
func (c *Client) ReleaseHold(ctx context.Context, id string, p resource.HoldReleaseParams, key string) (resource.Release, error) {
	var r resource.Release
	return r, c.do(ctx, call{method: "POST", path: "/v1/holds/" + seg(id) + "/release", body: p, idempotent: true, key: key}, &r)
}

// CreateCapture posts a settlement presentment matched by life-cycle key;
// the idempotency key is p.IdempotencyKey (required: the clearing
// record's own identity, so a rerun of a file never posts twice).
func (c *Client) CreateCapture(ctx context.Context, p resource.CaptureParams) (resource.Capture, error) {
	if p.IdempotencyKey == "" {
		return resource.Capture{}, errors.New("client: a capture needs its clearing record's idempotency key")
	}
	var k resource.Capture
	return k, c.do(ctx, call{method: "POST", path: "/v1/captures", body: p, key: p.IdempotencyKey}, &k)
}
