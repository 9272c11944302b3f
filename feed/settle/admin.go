package settle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CaptureRequest is the body of POST /v1/captures on the switch's admin
// API.
type CaptureRequest struct {
	Network        string `json:"network"`
	LifecycleKey   string `json:"lifecycle_key"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	Date           string `json:"date"`
	IdempotencyKey string `json:"idempotency_key"`
}

// CaptureResult is the 201 answer: the capture and its journal entry.
type CaptureResult struct {
	ID           string          `json:"id"`            // the capture's id (cap_<seq>)
	JournalEntry string          `json:"journal_entry"` // the feed's entry id (je_<seq>)
	Seq          uint64          `json:"seq"`           // the journal sequence number, when sent or derivable
	Raw          json.RawMessage `json:"-"`             // the whole answer, as sent
}

// Entry is the capture's feed entry id: journal_entry, else id.
func (r *CaptureResult) Entry() string {
	if r.JournalEntry != "" {
		return r.JournalEntry
	}
	return r.ID
}

// Errors of the admin client.
var (
	// ErrHoldNotFound: 404 hold_not_found — no hold matches the life cycle.
	ErrHoldNotFound = errors.New("settle: hold not found")
	// ErrUnauthorized: 401 or 403 — the token is wrong or lacks the right.
	ErrUnauthorized = errors.New("settle: admin API refused the token")
)

// APIError is any other error answer of the admin API.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("settle: admin API answered %d %s: %s", e.Status, e.Code, e.Message)
}

// AdminClient posts captures to the switch's admin API.
type AdminClient struct {
	// BaseURL is the admin API's root, e.g. http://127.0.0.1:8081.
	BaseURL string
	// Token is the bearer token.
	Token string
	// HTTP is the client (a 10s-timeout client when nil).
	HTTP *http.Client
	// Attempts bounds the tries of one capture on a transport error or a
	// 5xx answer (3); the idempotency key makes a retry safe.
	Attempts int
	// Backoff is the wait before the second attempt, doubled after (200ms).
	Backoff time.Duration
}

// Capture posts one capture. It returns ErrHoldNotFound, ErrUnauthorized,
// an *APIError, or a transport error after the last attempt.
func (c *AdminClient) Capture(ctx context.Context, req CaptureRequest) (CaptureResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return CaptureResult{}, fmt.Errorf("settle: encoding the capture: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	attempts := max(c.Attempts, 1)
	if c.Attempts == 0 {
		attempts = 3
	}
	wait := c.Backoff
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	url := strings.TrimRight(c.BaseURL, "/") + "/v1/captures"
	var last error
	for try := range attempts {
		if try > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return CaptureResult{}, ctx.Err()
			case <-t.C:
			}
			wait *= 2
		}
		res, retry, err := c.post(ctx, hc, url, req.IdempotencyKey, body)
		if err == nil || !retry {
			return res, err
		}
		last = err
	}
	return CaptureResult{}, last
}

func (c *AdminClient) post(ctx context.Context, hc *http.Client, url, key string, body []byte) (CaptureResult, bool, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return CaptureResult{}, false, fmt.Errorf("settle: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("Authorization", "Bearer "+c.Token)
	hreq.Header.Set("Idempotency-Key", key)
	resp, err := hc.Do(hreq)
	if err != nil {
		return CaptureResult{}, ctx.Err() == nil, fmt.Errorf("settle: posting a capture: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return CaptureResult{}, true, fmt.Errorf("settle: reading the admin API's answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
		var res CaptureResult
		if err := json.Unmarshal(raw, &res); err != nil {
			return CaptureResult{}, false, fmt.Errorf("settle: the admin API's answer is not JSON: %w", err)
		}
		res.Raw = raw
		if res.Seq == 0 {
			if n, err := strconv.ParseUint(strings.TrimPrefix(res.Entry(), "je_"), 10, 64); err == nil {
				res.Seq = n
			}
		}
		return res, false, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return CaptureResult{}, false, ErrUnauthorized
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	if resp.StatusCode == http.StatusNotFound && e.Error.Code == "hold_not_found" {
		return CaptureResult{}, false, fmt.Errorf("%w: %s", ErrHoldNotFound, e.Error.Message)
	}
	apiErr := &APIError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	// A 5xx, or the same key still being worked on, is worth another try.
	retry := resp.StatusCode >= 500 || (resp.StatusCode == http.StatusConflict && e.Error.Code == "idempotency_key_in_use")
	return CaptureResult{}, retry, apiErr
}
