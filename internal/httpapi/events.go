package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/event"
)

// AccessEvents is told of access requests filed and decided, for webhooks.
type AccessEvents interface {
	AccessRequested(ctx context.Context, r access.Request)
	AccessDecided(ctx context.Context, r access.Request)
}

func (s *Server) eventRoutes() {
	s.mux.HandleFunc("POST /api/v1/subscriptions", s.handleSubscribe)
	s.mux.HandleFunc("GET /api/v1/subscriptions", s.handleSubscriptions)
	s.mux.HandleFunc("GET /api/v1/subscriptions/{id}", s.handleSubscription)
	s.mux.HandleFunc("DELETE /api/v1/subscriptions/{id}", s.handleUnsubscribe)
	s.mux.HandleFunc("GET /api/v1/subscriptions/{id}/deliveries", s.handleDeliveries)
	s.mux.HandleFunc("POST /api/v1/subscriptions/{id}/ping", s.handlePing)
}

func (s *Server) eventsOn(w http.ResponseWriter, r *http.Request) bool {
	if s.events == nil {
		s.fail(w, r, errs.E(errs.Unavailable, "http.subscriptions", "webhooks are not enabled on this server"))
		return false
	}
	return true
}

func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	const op = "http.subscribe"
	if !s.eventsOn(w, r) {
		return
	}
	var req event.SubscribeRequest
	if err := s.decode(w, r, op, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, _ := access.FromContext(r.Context())
	sub, secret, err := s.events.Subscribe(r.Context(), p, req)
	details := map[string]any{"on": req.Types, "products": req.Products}
	res := "subscription"
	if sub != nil {
		res = "subscription:" + sub.ID
	}
	s.record(r, "subscription.create", res, err, details)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"subscription": sub, "secret": secret})
}

// ownSubscription returns the subscription named in the path if the caller
// owns it or is an admin; anyone else is told it does not exist. On false it
// has answered the request.
func (s *Server) ownSubscription(w http.ResponseWriter, r *http.Request) (*event.Subscription, bool) {
	if !s.eventsOn(w, r) {
		return nil, false
	}
	sub, err := s.events.Get(r.PathValue("id"))
	if err == nil {
		p, _ := access.FromContext(r.Context())
		if sub.Owner != p.Name && !s.access.Can(r.Context(), p, access.ActionAdmin, access.Resource{}) {
			err = errs.E(errs.NotFound, "http.subscription", "no subscription %q", sub.ID)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return sub, true
}

func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request) {
	if !s.eventsOn(w, r) {
		return
	}
	p, _ := access.FromContext(r.Context())
	owner := p.Name
	if s.access.Can(r.Context(), p, access.ActionAdmin, access.Resource{}) {
		owner = r.URL.Query().Get("owner") // "": everyone's
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": s.events.List(owner)})
}

func (s *Server) handleSubscription(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.ownSubscription(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscription": sub})
}

func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.ownSubscription(w, r)
	if !ok {
		return
	}
	err := s.events.Delete(r.Context(), sub.ID)
	s.record(r, "subscription.delete", "subscription:"+clipText(r.PathValue("id"), 64), err, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	const op = "http.deliveries"
	sub, ok := s.ownSubscription(w, r)
	if !ok {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.fail(w, r, errs.E(errs.Invalid, op, "limit: must be a number from 1 to 500"))
			return
		}
		limit = n
	}
	ds, err := s.events.Deliveries(r.Context(), sub.ID, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

func (s *Server) handlePing(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.ownSubscription(w, r)
	if !ok {
		return
	}
	if err := s.events.Ping(r.Context(), sub.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "queued"})
}
