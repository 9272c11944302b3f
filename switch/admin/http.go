package admin

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authswitch/authswitch/switch/admin/resource"
)

// route binds a method and path to a handler. name labels metrics and
// logs (a fixed word: never a value from the request).
type route struct {
	Method, Path string
	name         string
	handler      func(*API, *call) reply
}

// call is one request being answered.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	route *route
	actor string // the token's name
	id    string // request id, req_…
	body  []byte // the request body (POST, PUT)
}

// reply is an answer ready to write: its status and JSON body.
type reply struct {
	status   int
	body     []byte
	replayed bool            // an idempotent answer given again
	err      *resource.Error // set for errors (for the log line)
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the API's own objects are encoded: this is a bug.
		return errorReply(internalError("encode_failed", "The answer could not be encoded."))
	}
	return reply{status: status, body: append(b, '\n')}
}

func errorReply(e *resource.Error) reply {
	e.Message = redactDigits(e.Message)
	b, _ := json.Marshal(resource.ErrorBody{Error: e})
	return reply{status: e.Status, body: append(b, '\n'), err: e}
}

// wrap is every route's front door: request id, authentication, body
// limits and content type, the handler, the answer, metrics and the log.
func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{w: w, r: r, route: &rt, id: requestID()}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("Request-Id", c.id)
		h.Set("X-Content-Type-Options", "nosniff")

		rep := a.serve(c)
		if rep.replayed {
			h.Set("Idempotent-Replayed", "true")
		}
		if rep.status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Bearer realm="authswitch"`)
		}
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
		w.WriteHeader(rep.status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(rep.body)
		}
		clear(c.body) // the one body that may hold a card number
		elapsed := time.Since(start)
		a.m.observe(rt.name, rep.status, elapsed)
		attrs := []any{"request_id", c.id, "route", rt.name, "method", r.Method, "status", rep.status,
			"duration", elapsed, "actor", c.actor}
		if rep.replayed {
			attrs = append(attrs, "idempotent_replay", true)
		}
		if rep.err != nil {
			attrs = append(attrs, "error_code", rep.err.Code)
		}
		a.log.Info("admin request", attrs...)
	})
}

func (a *API) serve(c *call) reply {
	actor, e := a.authenticate(c.r)
	if e != nil {
		a.m.authFailures.Inc()
		return errorReply(e)
	}
	c.actor = actor
	if c.r.Method == http.MethodPost || c.r.Method == http.MethodPut {
		if e := a.readBody(c); e != nil {
			return errorReply(e)
		}
	}
	return c.route.handler(a, c)
}

// authenticate checks the bearer token against every configured one in
// constant time (no early exit, digests of equal length).
func (a *API) authenticate(r *http.Request) (string, *resource.Error) {
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", &resource.Error{Status: http.StatusUnauthorized, Type: resource.ErrorTypeAuthentication,
			Code: "token_missing", Message: "Authenticate with an HTTP header \"Authorization: Bearer <token>\"."}
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	name := ""
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].sum[:]) == 1 {
			name = a.tokens[i].name
		}
	}
	if name == "" {
		return "", &resource.Error{Status: http.StatusUnauthorized, Type: resource.ErrorTypeAuthentication,
			Code: "token_invalid", Message: "The bearer token is not valid."}
	}
	return name, nil
}

// readBody reads a POST or PUT body: JSON only, at most MaxBodyBytes.
func (a *API) readBody(c *call) *resource.Error {
	r := c.r
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		ct := r.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(ct)
		if ct == "" || err != nil || mt != "application/json" {
			// Drain a little so the connection can be reused; no more.
			_, _ = io.CopyN(io.Discard, r.Body, 4096)
			return &resource.Error{Status: http.StatusUnsupportedMediaType, Type: resource.ErrorTypeInvalidRequest,
				Code: "unsupported_media_type", Message: "Send the body as JSON with \"Content-Type: application/json\"."}
		}
	}
	if r.ContentLength > a.max {
		return tooLarge(a.max)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, r.Body, a.max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(a.max)
		}
		return &resource.Error{Status: http.StatusBadRequest, Type: resource.ErrorTypeInvalidRequest,
			Code: "body_unreadable", Message: "The request body could not be read."}
	}
	c.body = body
	return nil
}

func tooLarge(max int64) *resource.Error {
	return &resource.Error{Status: http.StatusRequestEntityTooLarge, Type: resource.ErrorTypeInvalidRequest,
		Code: "body_too_large", Message: "The request body is larger than " + strconv.FormatInt(max, 10) + " bytes."}
}

// decode reads the body into v strictly: unknown fields, a wrong type,
// trailing data or a malformed document are 400s naming the field. An
// empty body is an empty object. Messages never quote the body.
func decode(c *call, v any) *resource.Error {
	body := bytes.TrimSpace(c.body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return invalid("body_invalid", "", "The body must be one JSON object.")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return invalid("body_invalid", "", "The body must be a JSON object.")
		}
		return invalid("parameter_invalid_type", field, "The field "+field+" must be "+jsonKind(typeErr.Type.Kind().String())+".")
	case errors.As(err, &syntaxErr):
		return invalid("body_invalid", "", "The body is not valid JSON (at byte "+strconv.FormatInt(syntaxErr.Offset, 10)+").")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if !plainWord(field) {
			return invalid("parameter_unknown", "", "The body has an unknown field.")
		}
		return invalid("parameter_unknown", field, "Unknown field "+field+".")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body_invalid", "", "The body ends in the middle of a JSON value.")
	}
	return invalid("body_invalid", "", "The body is not a valid JSON object for this request.")
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "an integer (amounts are minor units)"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "true or false"
	case goKind == "slice":
		return "an array"
	case goKind == "struct", goKind == "map", goKind == "ptr":
		return "an object"
	}
	return "of another type"
}

// plainWord reports whether s is a short field name safe to echo.
func plainWord(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || c == '.' || c >= '0' && c <= '9' && i > 0) {
			return false
		}
	}
	return true
}

// requestID returns a new admin request's id, "req_" and 20 random letters.
// It is made of letters only: an id travels into logs and the journal's
// audit entries, which refuse any run of 12 digits as a possible card
// number, and hex would make one about once in fifty ids.
func requestID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var b [20]byte // 20 letters: ~94 bits
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 4+len(b))
	out = append(out, "req_"...)
	for _, v := range b {
		out = append(out, letters[int(v)%len(letters)])
	}
	return string(out)
}

// unknownRoute answers a /v1 path no route serves: 405 with Allow when
// the path exists under other methods, else 404.
func (a *API) unknownRoute(c *call) reply {
	var allow []string
	for _, r := range routes {
		if pathMatches(r.Path, c.r.URL.Path) && !slices.Contains(allow, r.Method) {
			allow = append(allow, r.Method)
		}
	}
	if len(allow) > 0 {
		slices.Sort(allow)
		c.w.Header().Set("Allow", strings.Join(allow, ", "))
		return errorReply(&resource.Error{Status: http.StatusMethodNotAllowed, Type: resource.ErrorTypeInvalidRequest,
			Code: "method_not_allowed", Message: "This path takes " + strings.Join(allow, ", ") + "."})
	}
	return errorReply(&resource.Error{Status: http.StatusNotFound, Type: resource.ErrorTypeInvalidRequest,
		Code: "unknown_route", Message: "No such route. See GET /v1/openapi.yaml."})
}

// pathMatches matches a request path against a route pattern whose
// wildcards are whole segments ({id}).
func pathMatches(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	qs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if qs[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != qs[i] {
			return false
		}
	}
	return true
}
