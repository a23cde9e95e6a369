package portal

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
)

// Access pages: request access to a product, see one's grants and
// requests, and (owners) decide requests from the inbox. Every decision is
// the API's: these handlers only call it with the principal's credential
// and show what it answered, refusals included.

// roleChoice is a role the request form offers.
type roleChoice struct {
	Role access.Role
	Say  string
}

// requestRoles are the roles the API lets a principal request (owner and
// admin are given, not requested); the API refuses any other.
var requestRoles = []roleChoice{
	{access.RoleConsumer, "consumer — query the data"},
	{access.RolePublisher, "publisher — query and publish data"},
	{access.RoleUnmask, "unmask — see masked columns in clear"},
}

// maxPurpose mirrors the API's limit on a purpose or a reason, in
// characters, so the form can say so before the API does.
const maxPurpose = 2000

func (p *Portal) accessRoutes() {
	p.mux.HandleFunc("GET /access", p.page(p.handleMyAccess))
	p.mux.HandleFunc("GET /access/request", p.page(p.handleRequestForm))
	p.mux.HandleFunc("POST /access/request", p.action(p.handleRequestSubmit))
	p.mux.HandleFunc("GET /inbox", p.page(p.handleInbox))
	p.mux.HandleFunc("POST /inbox/{id}/approve", p.action(p.handleDecide(true)))
	p.mux.HandleFunc("POST /inbox/{id}/deny", p.action(p.handleDecide(false)))
}

// refusal is err as a message to show; a failure that is not the API's
// refusal is logged, and shown as a generic one.
func (p *Portal) refusal(r *http.Request, err error) *APIError {
	ae := asAPIError(err)
	if ae.Status >= 500 {
		p.log.ErrorContext(r.Context(), "API call failed", "path", r.URL.Path, "err", err)
	}
	return ae
}

// requestForm is the request form's fields and what it offers.
type requestForm struct {
	Domain, Product, Role, Purpose string
	Roles                          []roleChoice
	MaxPurpose                     int
	Domains                        []string // suggestions: the domains the principal may see
	Products                       []string // suggestions: the products the principal may see
}

// handleRequestForm shows the form, prefilled from ?domain=&product=&role=.
func (p *Portal) handleRequestForm(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	f := requestForm{Domain: q.Get("domain"), Product: q.Get("product"), Role: q.Get("role")}
	p.renderRequestForm(w, r, v, http.StatusOK, f, nil)
}

func (p *Portal) renderRequestForm(w http.ResponseWriter, r *http.Request, v *view, code int, f requestForm, e *APIError) {
	f.Roles, f.MaxPurpose = requestRoles, maxPurpose
	if f.Role == "" {
		f.Role = string(access.RoleConsumer)
	}
	// A role the form does not offer (typed in a link, or one the API has
	// learnt since) is kept as asked: the API accepts or refuses it.
	if !slices.ContainsFunc(f.Roles, func(c roleChoice) bool { return string(c.Role) == f.Role }) {
		f.Roles = append(slices.Clip(f.Roles), roleChoice{Role: access.Role(f.Role), Say: f.Role})
	}
	// Suggestions only: a product the principal may not read yet is not
	// listed, but may still be typed (or come prefilled from a link).
	if ps, err := p.listProducts(v); err == nil {
		seen := map[string]bool{}
		for _, x := range ps {
			if !seen[x.Domain] {
				seen[x.Domain] = true
				f.Domains = append(f.Domains, x.Domain)
			}
			if !seen[x.Domain+"."+x.Name] {
				seen[x.Domain+"."+x.Name] = true
				f.Products = append(f.Products, x.Name)
			}
		}
		sort.Strings(f.Domains)
		sort.Strings(f.Products)
		f.Products = slices.Compact(f.Products)
	}
	p.render(w, r, code, "access_request", "", pageData{Title: "Request access", Nav: "access", View: v, Data: f, Error: e})
}

// handleRequestSubmit files the request through the API; a refusal shows
// the form again with the API's message and what the user typed.
func (p *Portal) handleRequestSubmit(w http.ResponseWriter, r *http.Request, v *view) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, v, &APIError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "The form is too large."})
		return
	}
	f := requestForm{Domain: strings.TrimSpace(r.PostForm.Get("domain")), Product: strings.TrimSpace(r.PostForm.Get("product")),
		Role: strings.TrimSpace(r.PostForm.Get("role")), Purpose: r.PostForm.Get("purpose")}
	if n := utf8.RuneCountInString(f.Purpose); n > maxPurpose {
		p.renderRequestForm(w, r, v, http.StatusBadRequest, f, &APIError{Status: http.StatusBadRequest, Code: "invalid",
			Message: "The purpose is longer than 2000 characters."})
		return
	}
	var out struct {
		Request access.Request `json:"request"`
	}
	body := httpapi.AccessRequestBody{Domain: f.Domain, Product: f.Product, Role: access.Role(f.Role), Purpose: f.Purpose}
	if err := v.api.call("POST", "/api/v1/access-requests", nil, body, &out); err != nil {
		e := p.refusal(r, err)
		p.renderRequestForm(w, r, v, e.Status, f, e)
		return
	}
	http.Redirect(w, r, "/access?sent="+url.QueryEscape(out.Request.ID), http.StatusSeeOther)
}

// myGrant is a grant the principal holds, itself or through a group.
type myGrant struct {
	access.Grant
	Via string // "" (its own) or the group
}

// Scope names where the grant applies.
func (g myGrant) Scope() string { return scopeOf(g.Domain, g.Product) }

func scopeOf(domain, product string) string {
	switch {
	case domain == "":
		return "the whole platform"
	case product == "":
		return domain + " (every product)"
	}
	return domain + "." + product
}

type myAccessData struct {
	Grants   []myGrant
	Requests []access.Request // newest first
}

// handleMyAccess lists the principal's grants and its own requests.
func (p *Portal) handleMyAccess(w http.ResponseWriter, r *http.Request, v *view) {
	var gs struct {
		Grants []access.Grant `json:"grants"`
	}
	if err := v.api.call("GET", "/api/v1/grants", nil, nil, &gs); err != nil {
		p.fail(w, r, v, err)
		return
	}
	rs, err := p.listRequests(v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	me := v.Me.Principal
	groups := map[string]string{"": ""}
	for _, g := range me.Groups {
		groups["group:"+g] = g
	}
	d := myAccessData{}
	// The API also lists the grants the principal could change (an owner's
	// domain's): this page is about its own.
	for _, g := range gs.Grants {
		if g.Subject == me.Name {
			d.Grants = append(d.Grants, myGrant{Grant: g})
		} else if grp, ok := groups[g.Subject]; ok && grp != "" {
			d.Grants = append(d.Grants, myGrant{Grant: g, Via: grp})
		}
	}
	for _, x := range rs {
		if x.Principal == me.Name {
			d.Requests = append(d.Requests, x)
		}
	}
	slices.Reverse(d.Requests)
	pd := pageData{Title: "My access", Nav: "access", View: v, Data: d}
	if id := r.URL.Query().Get("sent"); id != "" {
		for _, x := range d.Requests {
			if x.ID == id {
				pd.Flash = "Request sent to the owners of " + x.Domain + "." + x.Product + "."
			}
		}
	}
	p.render(w, r, http.StatusOK, "access", "", pd)
}

// listRequests returns the requests the API shows the principal: its own
// and those it may decide, oldest first.
func (p *Portal) listRequests(v *view) ([]access.Request, error) {
	var out struct {
		Requests []access.Request `json:"requests"`
	}
	err := v.api.call("GET", "/api/v1/access-requests", nil, nil, &out)
	return out.Requests, err
}

// expiryChoice is a lifetime an owner may give the grant an approval makes.
type expiryChoice struct{ Value, Say string }

var expiryChoices = []expiryChoice{{"", "does not expire"}, {"7d", "7 days"}, {"30d", "30 days"}, {"90d", "90 days"}, {"1y", "1 year"}}

type inboxData struct {
	Pending  []access.Request // oldest first: the longest waiting on top
	Decided  []access.Request // newest decision first
	CanGrant bool
	Expiries []expiryChoice
	// Failed is the request whose decision the API just refused, with
	// what the owner typed, so that its form keeps it.
	Failed, Reason, Expires string
	MaxReason               int
}

// recentDecided is how many decided requests the inbox shows.
const recentDecided = 20

func (p *Portal) handleInbox(w http.ResponseWriter, r *http.Request, v *view) {
	p.renderInbox(w, r, v, http.StatusOK, inboxData{}, nil)
}

func (p *Portal) renderInbox(w http.ResponseWriter, r *http.Request, v *view, code int, d inboxData, e *APIError) {
	rs, err := p.listRequests(v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	d.CanGrant, d.Expiries, d.MaxReason = v.Me.CanAnywhere("grant"), expiryChoices, maxPurpose
	for _, x := range rs {
		// The API lists the principal's own requests too; the inbox holds
		// only those it may decide.
		if !v.Me.Can("grant", x.Domain, x.Product) {
			continue
		}
		if x.Status == access.StatusPending {
			d.Pending = append(d.Pending, x)
		} else {
			d.Decided = append(d.Decided, x)
		}
	}
	sort.SliceStable(d.Decided, func(i, j int) bool { return decidedAt(d.Decided[i]).After(decidedAt(d.Decided[j])) })
	if len(d.Decided) > recentDecided {
		d.Decided = d.Decided[:recentDecided]
	}
	pd := pageData{Title: "Inbox", Nav: "inbox", View: v, Data: d, Error: e}
	if id := r.URL.Query().Get("decided"); id != "" && e == nil {
		for _, x := range d.Decided {
			if x.ID == id {
				pd.Flash = decisionSaid(x)
			}
		}
	}
	p.render(w, r, code, "inbox", "", pd)
}

func decidedAt(x access.Request) time.Time {
	if x.DecidedAt != nil {
		return *x.DecidedAt
	}
	return x.CreatedAt
}

// decisionSaid is the flash after a decision.
func decisionSaid(x access.Request) string {
	what := x.Principal + "'s request for the " + string(x.Role) + " role on " + x.Domain + "." + x.Product
	if x.Status == access.StatusApproved {
		return "Approved " + what + "."
	}
	return "Denied " + what + "."
}

// handleDecide approves or denies request {id} through the API.
func (p *Portal) handleDecide(approve bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *view) {
		if err := r.ParseForm(); err != nil {
			p.fail(w, r, v, &APIError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "The form is too large."})
			return
		}
		id := r.PathValue("id")
		body := httpapi.DecisionBody{Expires: strings.TrimSpace(r.PostForm.Get("expires")), Reason: r.PostForm.Get("reason")}
		verb := "deny"
		if approve {
			verb, body.Reason = "approve", ""
		} else {
			body.Expires = ""
		}
		failed := inboxData{Failed: id, Reason: body.Reason, Expires: body.Expires}
		if utf8.RuneCountInString(body.Reason) > maxPurpose {
			p.renderInbox(w, r, v, http.StatusBadRequest, failed, &APIError{Status: http.StatusBadRequest, Code: "invalid",
				Message: "The reason is longer than 2000 characters."})
			return
		}
		var out struct {
			Request access.Request `json:"request"`
		}
		if err := v.api.call("POST", "/api/v1/access-requests/"+url.PathEscape(id)+"/"+verb, nil, body, &out); err != nil {
			e := p.refusal(r, err)
			p.renderInbox(w, r, v, e.Status, failed, e)
			return
		}
		http.Redirect(w, r, "/inbox?decided="+url.QueryEscape(out.Request.ID), http.StatusSeeOther)
	}
}

func init() {
	// Optional times (a grant's expiry, a decision's time) are pointers.
	funcs["timep"] = func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return funcs["time"].(func(time.Time) string)(*t)
	}
	funcs["agop"] = func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return ago(*t)
	}
}
