package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/spec"
)

// The governance API: who am I, tokens, grants, access requests, audit and
// maintenance. Every handler authorizes through access.Store and records
// what it changed or refused in the audit log.
func (s *Server) govRoutes() {
	s.mux.HandleFunc("GET /api/v1/whoami", s.handleWhoami)
	s.mux.HandleFunc("POST /api/v1/tokens", s.handleTokenCreate)
	s.mux.HandleFunc("GET /api/v1/tokens", s.handleTokens)
	s.mux.HandleFunc("DELETE /api/v1/tokens/{id}", s.handleTokenRevoke)
	s.mux.HandleFunc("POST /api/v1/grants", s.handleGrantCreate)
	s.mux.HandleFunc("GET /api/v1/grants", s.handleGrants)
	s.mux.HandleFunc("DELETE /api/v1/grants/{id}", s.handleGrantRevoke)
	s.mux.HandleFunc("POST /api/v1/access-requests", s.handleRequestCreate)
	s.mux.HandleFunc("GET /api/v1/access-requests", s.handleRequests)
	s.mux.HandleFunc("POST /api/v1/access-requests/{id}/approve", s.handleApprove)
	s.mux.HandleFunc("POST /api/v1/access-requests/{id}/deny", s.handleDeny)
	s.mux.HandleFunc("GET /api/v1/audit/verify", s.handleAuditVerify)
	s.mux.HandleFunc("GET /api/v1/policies", s.handlePolicies)
	s.mux.HandleFunc("POST /api/v1/maintenance/retention", s.handleRetention)
}

// authorize checks that the caller may do a on domain[.product] ("" "" is
// the platform); a refusal is audited.
func (s *Server) authorize(r *http.Request, a access.Action, domain, product string) error {
	p, _ := access.FromContext(r.Context())
	err := s.access.Authorize(r.Context(), p, a, access.Resource{Domain: domain, Product: product})
	if err != nil {
		s.record(r, "authorize."+string(a), scopeName(domain, product), err, nil)
	}
	return err
}

func scopeName(domain, product string) string {
	switch {
	case domain == "":
		return "platform"
	case product == "":
		return domain
	}
	return domain + "." + product
}

// decode reads a small JSON body into v, refusing unknown fields.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, op string, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, op, "the request body is larger than the limit of %d bytes", 64<<10)
		}
		return errs.Wrap(errs.Invalid, op, err, "the body must be a JSON object: %v", err)
	}
	return nil
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	p, _ := access.FromContext(r.Context())
	admin := s.access.Can(r.Context(), p, access.ActionAdmin, access.Resource{})
	// may says where the caller may take each action, so that a client (the
	// portal) offers only the actions the server would allow.
	may := map[string]MayScopes{}
	for _, a := range []access.Action{access.ActionDiscover, access.ActionRead, access.ActionGrant, access.ActionPublish, access.ActionApply, access.ActionUnmask} {
		all, scopes, err := s.access.Scopes(r.Context(), p, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if scopes == nil {
			scopes = []access.Resource{}
		}
		may[string(a)] = MayScopes{All: all, Scopes: scopes}
	}
	writeJSON(w, http.StatusOK, map[string]any{"principal": p, "admin": admin, "may": may})
}

// MayScopes is where a principal may take one action: everywhere (All) or on
// each listed domain (Product empty) or product.
type MayScopes struct {
	All    bool              `json:"all"`
	Scopes []access.Resource `json:"scopes"`
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Principal string              `json:"principal"`
	Groups    []string            `json:"groups,omitempty"`
	Attrs     map[string][]string `json:"attrs,omitempty"`
	Expires   string              `json:"expires,omitempty"` // e.g. "30d"
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	const op = "http.tokenCreate"
	var req TokenRequest
	if err := s.decode(w, r, op, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.authorize(r, access.ActionAdmin, "", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	ttl, err := access.ParseTTL(req.Expires)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, _ := access.FromContext(r.Context())
	tok, secret, err := s.access.CreateToken(r.Context(), p.Name, req.Principal, req.Groups, req.Attrs, ttl)
	s.record(r, "token.create", "token:"+tok.ID, err, map[string]any{"principal": req.Principal, "groups": req.Groups,
		"attrs": req.Attrs, "expires": req.Expires})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "secret": secret})
}

func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	p, _ := access.FromContext(r.Context())
	who := r.URL.Query().Get("principal")
	// Everyone sees their own tokens; only admins see others'.
	if who != p.Name {
		if err := s.authorize(r, access.ActionAdmin, "", ""); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	ts, err := s.access.Tokens(r.Context(), who)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []access.Token{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, _ := access.FromContext(r.Context())
	own, err := s.access.Tokens(r.Context(), p.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mine := false
	for _, t := range own {
		mine = mine || t.ID == id
	}
	if !mine {
		if err := s.authorize(r, access.ActionAdmin, "", ""); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	tok, err := s.access.RevokeToken(r.Context(), id)
	s.record(r, "token.revoke", "token:"+id, err, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok})
}

// grantScope is where the grant right is needed to give or take back role
// on domain.product: owners grant on what they own; the admin role only an
// admin grants.
func grantScope(role access.Role, domain, product string) (string, string) {
	if role == access.RoleAdmin {
		return "", ""
	}
	return domain, product
}

// GrantRequest is the body of POST /api/v1/grants.
type GrantRequest struct {
	Role    access.Role `json:"role"`
	Subject string      `json:"subject"` // a principal, or group:NAME
	Domain  string      `json:"domain,omitempty"`
	Product string      `json:"product,omitempty"`
	Expires string      `json:"expires,omitempty"`
}

func (s *Server) handleGrantCreate(w http.ResponseWriter, r *http.Request) {
	const op = "http.grantCreate"
	var req GrantRequest
	if err := s.decode(w, r, op, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	domain, product := grantScope(req.Role, req.Domain, req.Product)
	if err := s.authorize(r, access.ActionGrant, domain, product); err != nil {
		s.fail(w, r, err)
		return
	}
	ttl, err := access.ParseTTL(req.Expires)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g := access.Grant{Role: req.Role, Subject: req.Subject, Domain: req.Domain, Product: req.Product}
	if ttl > 0 {
		t := time.Now().Add(ttl).UTC()
		g.ExpiresAt = &t
	}
	p, _ := access.FromContext(r.Context())
	g, err = s.access.AddGrant(r.Context(), p.Name, g)
	s.record(r, "grant.create", scopeName(req.Domain, req.Product), err, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"grant": g})
}

func (s *Server) handleGrants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	domain, product := q.Get("domain"), q.Get("product")
	if product != "" && domain == "" {
		s.fail(w, r, errs.E(errs.Invalid, "http.grants", "product needs a domain"))
		return
	}
	gs, err := s.access.Grants(r.Context(), domain, product)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A caller sees its own grants and those it could change.
	p, _ := access.FromContext(r.Context())
	mine := map[string]bool{p.Name: true}
	for _, g := range p.Groups {
		mine["group:"+g] = true
	}
	out := []access.Grant{}
	for _, g := range gs {
		scope := access.Resource{Domain: g.Domain, Product: g.Product}
		if mine[g.Subject] || s.access.Can(r.Context(), p, access.ActionGrant, scope) {
			out = append(out, g)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": out})
}

func (s *Server) handleGrantRevoke(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	found, err := s.access.Grant(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	domain, product := grantScope(found.Role, found.Domain, found.Product)
	if err := s.authorize(r, access.ActionGrant, domain, product); err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.access.RevokeGrant(r.Context(), id)
	s.record(r, "grant.revoke", scopeName(found.Domain, found.Product), err, found)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"grant": g})
}

// AccessRequestBody is the body of POST /api/v1/access-requests.
type AccessRequestBody struct {
	Domain  string      `json:"domain"`
	Product string      `json:"product"`
	Role    access.Role `json:"role,omitempty"`
	Purpose string      `json:"purpose"`
}

func (s *Server) handleRequestCreate(w http.ResponseWriter, r *http.Request) {
	const op = "http.requestCreate"
	var req AccessRequestBody
	if err := s.decode(w, r, op, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := spec.CheckName("domain", req.Domain); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := spec.CheckName("product", req.Product); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.reg.Product(r.Context(), req.Domain, req.Product); err != nil {
		s.fail(w, r, err)
		return
	}
	p, _ := access.FromContext(r.Context())
	ar, err := s.access.RequestAccess(r.Context(), p, req.Domain, req.Product, req.Role, req.Purpose)
	s.record(r, "access.request", scopeName(req.Domain, req.Product), err, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.accEv != nil {
		s.accEv.AccessRequested(r.Context(), ar)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"request": ar})
}

func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	p, _ := access.FromContext(r.Context())
	rs, err := s.access.Requests(r.Context(), p, r.URL.Query().Get("status"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rs == nil {
		rs = []access.Request{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": rs})
}

// DecisionBody is the body of approve and deny.
type DecisionBody struct {
	Expires string `json:"expires,omitempty"` // approve: the grant's lifetime
	Reason  string `json:"reason,omitempty"`  // deny: required
}

func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, true)
}

func (s *Server) handleDeny(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, false)
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	const op = "http.decide"
	var req DecisionBody
	if r.ContentLength != 0 {
		if err := s.decode(w, r, op, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p, _ := access.FromContext(r.Context())
	id := r.PathValue("id")
	var ar access.Request
	var err error
	action := "access.deny"
	if approve {
		action = "access.approve"
		var ttl time.Duration
		if ttl, err = access.ParseTTL(req.Expires); err == nil {
			ar, err = s.access.Approve(r.Context(), p, id, ttl)
		}
	} else {
		ar, err = s.access.Deny(r.Context(), p, id, req.Reason)
	}
	res := "request:" + id
	if ar.Domain != "" {
		res = scopeName(ar.Domain, ar.Product)
	}
	s.record(r, action, res, err, map[string]any{"request": id, "expires": req.Expires, "reason": req.Reason, "grant": ar.GrantID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.accEv != nil {
		s.accEv.AccessDecided(r.Context(), ar)
	}
	writeJSON(w, http.StatusOK, map[string]any{"request": ar})
}

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	if err := s.authorize(r, access.ActionAdmin, "", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.audit.Verify(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) handlePolicies(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": s.gov.Policy().Version()})
}

func (s *Server) handleRetention(w http.ResponseWriter, r *http.Request) {
	if err := s.authorize(r, access.ActionAdmin, "", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.retain == nil {
		s.fail(w, r, errs.E(errs.Unsupported, "http.retention", "retention is not configured"))
		return
	}
	rep, err := s.retain.RetainAll(r.Context())
	s.record(r, "retention", "platform", err, rep)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": rep})
}
