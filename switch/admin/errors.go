package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func invalid(code, param, msg string) *resource.Error {
	return &resource.Error{Status: http.StatusBadRequest, Type: resource.ErrorTypeInvalidRequest,
		Code: code, Param: param, Message: msg}
}

// missing is a required field left out.
func missing(param string) *resource.Error {
	return invalid("parameter_missing", param, "The field "+param+" is required.")
}

func notFound(what, id string) *resource.Error {
	return &resource.Error{Status: http.StatusNotFound, Type: resource.ErrorTypeInvalidRequest,
		Code: "resource_missing", Param: "id", Message: "No such " + what + ": " + shown(id) + "."}
}

func conflict(code, msg string) *resource.Error {
	return &resource.Error{Status: http.StatusConflict, Type: resource.ErrorTypeInvalidRequest, Code: code, Message: msg}
}

func internalError(code, msg string) *resource.Error {
	return &resource.Error{Status: http.StatusInternalServerError, Type: resource.ErrorTypeAPI, Code: code, Message: msg}
}

func unavailable(code, msg string) *resource.Error {
	return &resource.Error{Status: http.StatusServiceUnavailable, Type: resource.ErrorTypeAPI, Code: code, Message: msg}
}

// storeError answers an error of the rules engine's reference store: what
// the store refused (400, 404, 409) or its failure (500, logged).
func (a *API) storeError(c *call, what, id, param string, err error) reply {
	switch {
	case errors.Is(err, refdata.ErrNotFound):
		return errorReply(notFound(what, id))
	case errors.Is(err, refdata.ErrExists):
		msg := "A " + what + " with this id already exists."
		if strings.Contains(err.Error(), "pan already belongs") {
			return errorReply(conflict("card_number_taken", "This card number already belongs to another card."))
		}
		return errorReply(conflict("resource_already_exists", msg))
	case errors.Is(err, refdata.ErrInvalid):
		// The store's messages name fields and ids, never a card number
		// or a key (and redactDigits would mask one anyway).
		return errorReply(invalid("parameter_invalid", param, capitalize(err.Error())+"."))
	case errors.Is(err, ledger.ErrClosed), errors.Is(err, refdata.ErrClosed), errors.Is(err, ledger.ErrJournal):
		a.log.Error("admin: store unavailable", "request_id", c.id, "route", c.route.name, "err", redactDigits(err.Error()))
		return errorReply(unavailable("store_unavailable", "The switch's stores are unavailable; try again later."))
	}
	a.log.Error("admin: store failed", "request_id", c.id, "route", c.route.name, "err", redactDigits(err.Error()))
	return errorReply(internalError("store_failed", "The write failed; nothing was changed. Try again."))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shown quotes an id from the request for a message, unless it could be
// card data (long, or a run of more than six digits).
func shown(v string) string {
	if len(v) > 64 {
		return "(value not shown)"
	}
	run := 0
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			if run++; run > 6 {
				return "(value not shown)"
			}
		} else {
			run = 0
		}
	}
	return strconv.Quote(v)
}

// redactDigits masks every run of 12 or more digits in s (a card number's
// shape): the last defence of every message and log line of the API.
func redactDigits(s string) string {
	var b strings.Builder
	run := 0
	flush := func(end int) {
		if run >= 12 {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(s[end-run : end])
		}
		run = 0
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		flush(i)
		b.WriteByte(s[i])
	}
	flush(len(s))
	return b.String()
}
