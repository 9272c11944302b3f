package admin

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the API's OpenAPI 3 document (also served at
// GET /v1/openapi.yaml).
//
//go:embed openapi.yaml
var OpenAPI []byte

// routes is every route of the API, in the order of the document.
var routes = []route{
	{"POST", "/v1/accounts", "accounts.create", (*API).createAccount},
	{"GET", "/v1/accounts/{id}", "accounts.get", (*API).getAccount},
	{"POST", "/v1/accounts/{id}", "accounts.update", (*API).updateAccount},
	{"POST", "/v1/accounts/{id}/fund", "accounts.fund", (*API).fund},
	{"POST", "/v1/accounts/{id}/debit", "accounts.debit", (*API).debit},
	{"GET", "/v1/accounts/{id}/holds", "accounts.holds", (*API).listHolds},

	{"POST", "/v1/cardholders", "cardholders.create", (*API).createCardholder},
	{"GET", "/v1/cardholders/{id}", "cardholders.get", (*API).getCardholder},
	{"POST", "/v1/cardholders/{id}", "cardholders.update", (*API).updateCardholder},

	{"POST", "/v1/cards", "cards.create", (*API).createCard},
	{"GET", "/v1/cards/{id}", "cards.get", (*API).getCard},
	{"POST", "/v1/cards/{id}", "cards.update", (*API).updateCard},

	{"PUT", "/v1/card_keys/{pan_prefix}", "card_keys.put", (*API).putCardKeys},
	{"GET", "/v1/card_keys", "card_keys.list", (*API).listCardKeys},

	{"GET", "/v1/program_rules", "program_rules.list", (*API).listProgramRules},
	{"PUT", "/v1/program_rules", "program_rules.replace", (*API).replaceProgramRules},
	{"POST", "/v1/program_rules/reload", "program_rules.reload", (*API).reloadProgramRules},

	{"GET", "/v1/authorizations", "authorizations.list", (*API).listAuthorizations},
	{"GET", "/v1/authorizations/{id}", "authorizations.get", (*API).getAuthorization},

	{"POST", "/v1/holds/{id}/capture", "holds.capture", (*API).captureHold},
	{"POST", "/v1/holds/{id}/release", "holds.release", (*API).releaseHold},
	{"POST", "/v1/captures", "captures.create", (*API).createCapture},

	{"GET", "/v1/openapi.yaml", "openapi.get", (*API).openAPI},
}

func (a *API) openAPI(c *call) reply {
	c.w.Header().Set("Content-Type", "application/yaml")
	return reply{status: http.StatusOK, body: OpenAPI}
}
