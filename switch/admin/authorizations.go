package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/authswitch/authswitch/switch/admin/authindex"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

// List paging.
const (
	DefaultListLimit = 10
	MaxListLimit     = authindex.MaxLimit
)

func (a *API) noIndex() reply {
	return errorReply(unavailable("authorization_index_unavailable", "This switch keeps no authorization index."))
}

func (a *API) getAuthorization(c *call) reply {
	if a.index == nil {
		return a.noIndex()
	}
	id := c.r.PathValue("id")
	x, err := a.index.GetID(id)
	if errors.Is(err, authindex.ErrNotFound) {
		return errorReply(notFound("authorization", id))
	}
	if err != nil {
		return a.indexError(c, err)
	}
	return jsonReply(http.StatusOK, authorizationOut(&x))
}

// listAuthorizations lists a card's or an account's authorizations (or
// all), newest first, a page at a time.
func (a *API) listAuthorizations(c *call) reply {
	if a.index == nil {
		return a.noIndex()
	}
	q := c.r.URL.Query()
	for k := range q {
		switch k {
		case "card", "account", "limit", "starting_after":
		default:
			if plainWord(k) {
				return errorReply(invalid("parameter_unknown", k, "Unknown query parameter "+k+"."))
			}
			return errorReply(invalid("parameter_unknown", "", "Unknown query parameter."))
		}
	}
	card, account := q.Get("card"), q.Get("account")
	if card != "" && account != "" {
		return errorReply(invalid("parameter_invalid", "account", "List by card or by account, not both."))
	}
	limit := DefaultListLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListLimit {
			return errorReply(invalid("parameter_invalid", "limit", "The limit is 1 to 100."))
		}
		limit = n
	}
	var before uint64
	if s := q.Get("starting_after"); s != "" {
		seq, ok := authindex.ParseID(s)
		if !ok {
			return errorReply(invalid("parameter_invalid", "starting_after", "starting_after is an authorization id (auth_…)."))
		}
		before = seq
	}
	var xs []authindex.Authorization
	var more bool
	var err error
	url := "/v1/authorizations"
	switch {
	case card != "":
		xs, more, err = a.index.ListByCard(card, before, limit)
		url += "?card=" + urlQuery(card)
	case account != "":
		xs, more, err = a.index.ListByAccount(account, before, limit)
		url += "?account=" + urlQuery(account)
	default:
		xs, more, err = a.index.List(before, limit)
	}
	if err != nil {
		return a.indexError(c, err)
	}
	out := make([]resource.Authorization, 0, len(xs))
	for i := range xs {
		out = append(out, authorizationOut(&xs[i]))
	}
	return jsonReply(http.StatusOK, resource.NewList(url, out, more))
}

func urlQuery(s string) string { return url.QueryEscape(redactDigits(s)) }

func (a *API) indexError(c *call, err error) reply {
	a.log.Error("admin: authorization index failed", "request_id", c.id, "route", c.route.name, "err", err)
	if errors.Is(err, authindex.ErrClosed) {
		return errorReply(unavailable("authorization_index_unavailable", "The authorization index is closed."))
	}
	return errorReply(internalError("authorization_index_failed", "The authorization index could not be read."))
}
