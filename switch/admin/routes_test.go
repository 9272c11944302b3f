package admin_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/authswitch/authswitch/switch/admin"
)

// TestOpenAPICoversEveryRoute walks the routes Register mounts and the
// paths of the OpenAPI document: each must be in the other.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(admin.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method, v := range item {
			switch method {
			case "get", "put", "post", "delete", "patch":
			default:
				continue // parameters, summary
			}
			op, _ := v.(map[string]any)
			documented[strings.ToUpper(method)+" "+path] = true
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s: no responses documented", method, path)
			}
			if _, ok := op["operationId"]; !ok {
				t.Errorf("%s %s: no operationId", method, path)
			}
		}
	}
	registered := map[string]bool{}
	for _, r := range admin.Routes() {
		registered[r.Method+" "+r.Path] = true
		if !documented[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	for op := range documented {
		if !registered[op] {
			t.Errorf("openapi.yaml documents %s, which no route serves", op)
		}
	}
	if len(registered) < 20 {
		t.Errorf("only %d routes registered", len(registered))
	}
}

// concrete fills a route's wildcards.
func concrete(path string) string {
	r := strings.NewReplacer("{id}", "x_1", "{pan_prefix}", "411111")
	return r.Replace(path)
}

func TestEveryRouteNeedsAToken(t *testing.T) {
	w := newWorld(t)
	for _, r := range admin.Routes() {
		path := concrete(r.Path)
		var body any
		if r.Method != "GET" {
			body = map[string]any{}
		}
		for _, tc := range []struct {
			token, code string
		}{
			{"-", "token_missing"},
			{"wrong-token-of-some-length", "token_invalid"},
			{"0123456789abcdef012", "token_invalid"},      // the secret less one character
			{"ops:0123456789abcdef0123", "token_invalid"}, // name:secret is configuration, not a token
		} {
			res := w.do(r.Method, path, body, req{token: tc.token, idem: "k-" + tc.code})
			e := expectError(t, r.Method+" "+r.Path+" with token "+tc.token, res, http.StatusUnauthorized, tc.code, "")
			if e.Type != "authentication_error" {
				t.Errorf("%s %s: error type %q", r.Method, r.Path, e.Type)
			}
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: no WWW-Authenticate", r.Method, r.Path)
			}
		}
	}
	// Unknown routes do not tell an unauthenticated caller what exists.
	expectError(t, "unknown route, no token", w.do("GET", "/v1/nothing", nil, req{token: "-"}), 401, "token_missing", "")
	// The second configured token works, and is its own actor.
	res := w.do("GET", "/v1/card_keys", nil, req{token: "fedcba9876543210fedc"})
	expectStatus(t, "second token", res, 200)
	if !strings.Contains(w.logs.String(), "actor=settlement") {
		t.Error("the log does not name the second token's actor")
	}
	if got := res.header.Get("Request-Id"); !strings.HasPrefix(got, "req_") {
		t.Errorf("Request-Id %q", got)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	w := newWorld(t)
	expectError(t, "unknown path", w.get("/v1/nothing"), http.StatusNotFound, "unknown_route", "")
	res := w.get("/v1/accounts")
	expectError(t, "GET on a POST-only path", res, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if res.header.Get("Allow") != "POST" {
		t.Errorf("Allow %q, want POST", res.header.Get("Allow"))
	}
	res = w.do("DELETE", "/v1/accounts/acct_1", nil, req{})
	expectError(t, "DELETE an account", res, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if res.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q, want GET, POST", res.header.Get("Allow"))
	}
	res = w.get("/v1/openapi.yaml")
	expectStatus(t, "openapi", res, 200)
	if !strings.HasPrefix(string(res.body), "openapi: 3") {
		t.Errorf("openapi.yaml served as %.40q", res.body)
	}
}

func TestBodiesAreBoundedJSON(t *testing.T) {
	w := newWorld(t)
	big := []byte(`{"currency":"USD","id":"` + strings.Repeat("a", 70<<10) + `"}`)
	expectError(t, "body over the limit", w.do("POST", "/v1/accounts", nil, req{raw: big}),
		http.StatusRequestEntityTooLarge, "body_too_large", "")
	expectError(t, "form body", w.do("POST", "/v1/accounts", nil, req{raw: []byte("currency=USD"),
		contentType: "application/x-www-form-urlencoded"}), http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	expectError(t, "text body", w.do("PUT", "/v1/program_rules", nil, req{raw: []byte("{}"), contentType: "text/plain"}),
		http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	expectStatus(t, "charset is fine", w.do("POST", "/v1/accounts", nil, req{raw: []byte(`{"currency":"USD"}`),
		contentType: "application/json; charset=utf-8"}), http.StatusCreated)

	for _, tc := range []struct {
		name, body, code, param string
	}{
		{"malformed", `{"currency":`, "body_invalid", ""},
		{"not an object", `["USD"]`, "body_invalid", ""},
		{"two objects", `{"currency":"USD"} {}`, "body_invalid", ""},
		{"unknown field", `{"currency":"USD","colour":"red"}`, "parameter_unknown", "colour"},
		{"unknown field that could be card data", `{"currency":"USD","4111111111111111":1}`, "parameter_unknown", ""},
		{"wrong type", `{"currency":"USD","balance":"100"}`, "parameter_invalid_type", "balance"},
		{"fraction", `{"currency":"USD","balance":1.5}`, "parameter_invalid_type", "balance"},
		{"nested wrong type", `{"currency":"USD","controls":{"velocity":[{"count":"x"}]}}`, "parameter_invalid_type", "controls.velocity.count"},
	} {
		expectError(t, tc.name, w.do("POST", "/v1/accounts", nil, req{raw: []byte(tc.body), idem: "k-" + tc.name}),
			http.StatusBadRequest, tc.code, tc.param)
	}
	if !slices.ContainsFunc(w.bodies, func(b []byte) bool { return strings.Contains(string(b), "unknown field") }) {
		t.Log("(no unknown-field message seen)")
	}
}
