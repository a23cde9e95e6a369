package event

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/spec"
)

//go:embed schema.sql
var schemaSQL string

// The event types a subscription may ask for.
const (
	Published       = "published"        // a publish committed a snapshot
	GateFailed      = "gate_failed"      // a publish was refused by the contract, a quality rule or a policy
	PublishFailed   = "publish_failed"   // a write-audit-publish run ended stale, failed or unknown
	ContractChanged = "contract_changed" // an apply added a contract version
	SLABreached     = "sla_breached"     // a table became late, stale or was never published in time
	AccessRequested = "access_requested" // a consumer asked for access (sent to those who may decide)
	AccessDecided   = "access_decided"   // an access request was approved or denied
	Ping            = "ping"             // a test event, sent by POST .../ping only
)

// Types lists the types a subscription may ask for.
var Types = []string{Published, GateFailed, PublishFailed, ContractChanged, SLABreached, AccessRequested, AccessDecided}

// Event is something that happened to a product (or one of its tables).
type Event struct {
	Type    string
	Domain  string
	Product string
	Table   string // "" for product-wide events
	Data    any    // the CloudEvent's data, encoded as JSON
	Time    time.Time
	// Requester is who filed an access request: access_decided goes to
	// them as well as to those who may decide.
	Requester string
}

// Subscription is a webhook.
type Subscription struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	URL       string    `json:"url"`
	Types     []string  `json:"on"`
	Products  []string  `json:"products"` // domain or domain.product; empty: every product the owner may read
	CreatedAt time.Time `json:"createdAt"`
	groups    []string
}

// Delivery is one entry of a subscription's delivery log.
type Delivery struct {
	ID         int64     `json:"id"`
	EventID    string    `json:"eventId"`
	Type       string    `json:"type"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"` // pending, delivered, failed
	Attempts   int       `json:"attempts"`
	LastStatus int       `json:"lastStatus,omitempty"` // the receiver's last HTTP status
	LastError  string    `json:"lastError,omitempty"`
	NextAt     time.Time `json:"nextAttemptAt,omitzero"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Access decides what a subscription's owner may see.
type Access interface {
	Can(ctx context.Context, p access.Principal, a access.Action, r access.Resource) bool
}

// Config configures a Bus.
type Config struct {
	DB       *sql.DB
	Access   Access
	KeyPath  string // the signing key file (made on first use, mode 0600)
	Instance string // the CloudEvents source prefix, e.g. meshwork://mesh.example.com
	// AllowPrivateTargets lets webhooks reach loopback and private
	// addresses (a demo, tests, or a mesh whose receivers are internal).
	AllowPrivateTargets bool
	Timeout             time.Duration // per attempt; default 10 s
	BackoffBase         time.Duration // first retry delay; default 2 s, doubled per attempt with jitter
	BackoffMax          time.Duration // default 1 h
	MaxAttempts         int           // default 10
	Workers             int           // concurrent deliveries; default 4
	Logger              *slog.Logger
}

// Bus records events and delivers them. Safe for concurrent use.
type Bus struct {
	c      Config
	db     *sql.DB
	key    []byte
	client *http.Client
	log    *slog.Logger

	mu   sync.Mutex
	subs []Subscription // cached; reloaded after every change

	wake   chan struct{}
	stop   context.CancelFunc
	done   chan struct{}
	closed sync.Once
}

// Open prepares the tables and the key and starts the dispatcher.
func Open(ctx context.Context, c Config) (*Bus, error) {
	const op = "event.Open"
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Instance == "" {
		c.Instance = "meshwork://mesh"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := c.DB.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "create event tables")
	}
	key, err := loadKey(c.KeyPath)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "signing key")
	}
	b := &Bus{c: c, db: c.DB, key: key, client: newClient(c.Timeout, c.AllowPrivateTargets),
		log: c.Logger.With("component", "event"), wake: make(chan struct{}, 1), done: make(chan struct{})}
	if err := b.reload(ctx); err != nil {
		return nil, err
	}
	dctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	b.stop = stop
	go b.dispatch(dctx)
	return b, nil
}

// Close stops the dispatcher and waits for deliveries in flight; what is
// pending stays in the outbox for the next start.
func (b *Bus) Close() error {
	b.closed.Do(func() {
		b.stop()
		<-b.done
	})
	return nil
}

// loadKey reads the signing key, making it on first use.
func loadKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("the key in %s is not 32 hex-encoded bytes", path)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// Secret returns a subscription's signing secret.
func (b *Bus) Secret(id string) string {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("subscription:" + id))
	return "whsec_" + hex.EncodeToString(m.Sum(nil))
}

// Sign returns the Meshwork-Signature header of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := fmt.Sprint(t.Unix())
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a Meshwork-Signature header against body, refusing
// signatures older than tolerance (replays). It is what a receiver runs.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	var unix int64
	if _, err := fmt.Sscanf(ts, "%d", &unix); err != nil || sig == "" {
		return errors.New("malformed signature header")
	}
	t := time.Unix(unix, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return errors.New("signature too old or from the future")
	}
	want := Sign(secret, t, body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("signature mismatch")
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SubscribeRequest is what a subscriber asks for.
type SubscribeRequest struct {
	URL      string   `json:"url"`
	Types    []string `json:"on"`
	Products []string `json:"products,omitempty"`
}

// Subscribe registers a webhook owned by p and returns it with its signing
// secret (shown only now).
func (b *Bus) Subscribe(ctx context.Context, p access.Principal, req SubscribeRequest) (*Subscription, string, error) {
	const op = "event.Subscribe"
	if p.Name == "" {
		return nil, "", errs.E(errs.Unauthenticated, op, "subscribing needs a principal")
	}
	u, err := CheckURL(req.URL)
	if err != nil {
		return nil, "", err
	}
	if !b.c.AllowPrivateTargets {
		// Refused early when it is an address; names are checked when
		// dialled, on what they resolve to then.
		h := u.Hostname()
		if a, err := netip.ParseAddr(h); err == nil && blocked(a) {
			return nil, "", errs.E(errs.Invalid, op, "url: %s is a private, loopback or link-local address (mesh serve --webhook-allow-private allows it)", h)
		}
	}
	if len(req.Types) == 0 {
		return nil, "", errs.E(errs.Invalid, op, "on: name at least one event type (%s)", strings.Join(Types, ", "))
	}
	types := slices.Clone(req.Types)
	for i, t := range types {
		types[i] = strings.TrimSpace(t)
		if !slices.Contains(Types, types[i]) {
			return nil, "", errs.E(errs.Invalid, op, "on[%d]: unknown event type %q; valid: %s", i, clip(t), strings.Join(Types, ", "))
		}
	}
	slices.Sort(types)
	types = slices.Compact(types)
	if len(req.Products) > 100 {
		return nil, "", errs.E(errs.Invalid, op, "products: at most 100")
	}
	products := []string{}
	for i, s := range req.Products {
		parts := strings.Split(s, ".")
		if len(parts) > 2 || !spec.ValidName(parts[0]) || (len(parts) == 2 && !spec.ValidName(parts[1])) {
			return nil, "", errs.E(errs.Invalid, op, "products[%d]: %q is not DOMAIN or DOMAIN.PRODUCT", i, clip(s))
		}
		products = append(products, s)
	}
	s := Subscription{ID: newID(), Owner: p.Name, URL: req.URL, Types: types, Products: products,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond), groups: p.Groups}
	tj, _ := json.Marshal(s.Types)
	pj, _ := json.Marshal(s.Products)
	gj, _ := json.Marshal(p.Groups)
	if _, err := b.db.ExecContext(ctx, `INSERT INTO mesh_subscriptions (id, owner, groups, url, types, products, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, s.Owner, string(gj), s.URL, string(tj), string(pj), s.CreatedAt.Format(time.RFC3339Nano)); err != nil {
		return nil, "", errs.Wrap(errs.Internal, op, err, "store subscription")
	}
	if err := b.reload(ctx); err != nil {
		return nil, "", err
	}
	return &s, b.Secret(s.ID), nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// reload refreshes the cached subscriptions.
func (b *Bus) reload(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT id, owner, groups, url, types, products, created_at FROM mesh_subscriptions ORDER BY created_at, id`)
	if err != nil {
		return errs.Wrap(errs.Internal, "event.reload", err, "read subscriptions")
	}
	defer rows.Close()
	var subs []Subscription
	for rows.Next() {
		var s Subscription
		var gj, tj, pj, at string
		if err := rows.Scan(&s.ID, &s.Owner, &gj, &s.URL, &tj, &pj, &at); err != nil {
			return errs.Wrap(errs.Internal, "event.reload", err, "read subscriptions")
		}
		_ = json.Unmarshal([]byte(gj), &s.groups)
		_ = json.Unmarshal([]byte(tj), &s.Types)
		_ = json.Unmarshal([]byte(pj), &s.Products)
		s.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
		subs = append(subs, s)
	}
	if err := rows.Err(); err != nil {
		return errs.Wrap(errs.Internal, "event.reload", err, "read subscriptions")
	}
	b.mu.Lock()
	b.subs = subs
	b.mu.Unlock()
	return nil
}

// List returns the subscriptions of owner, or every one when owner is "".
func (b *Bus) List(owner string) []Subscription {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []Subscription{}
	for _, s := range b.subs {
		if owner == "" || s.Owner == owner {
			out = append(out, s)
		}
	}
	return out
}

// Get returns a subscription.
func (b *Bus) Get(id string) (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		if s.ID == id {
			return &s, nil
		}
	}
	return nil, errs.E(errs.NotFound, "event.Get", "no subscription %q", clip(id))
}

// Delete removes a subscription; its pending deliveries are dropped.
func (b *Bus) Delete(ctx context.Context, id string) error {
	const op = "event.Delete"
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "begin")
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM mesh_subscriptions WHERE id = ?`, id)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "delete subscription")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, op, "no subscription %q", clip(id))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mesh_deliveries SET status = 'failed', last_error = 'subscription deleted', updated_at = ?
		WHERE subscription_id = ? AND status = 'pending'`, nowText(), id); err != nil {
		return errs.Wrap(errs.Internal, op, err, "drop pending deliveries")
	}
	if err := tx.Commit(); err != nil {
		return errs.Wrap(errs.Internal, op, err, "commit")
	}
	return b.reload(ctx)
}

func nowText() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// Deliveries returns a subscription's delivery log, newest first.
func (b *Bus) Deliveries(ctx context.Context, id string, limit int) ([]Delivery, error) {
	const op = "event.Deliveries"
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := b.db.QueryContext(ctx, `SELECT d.id, d.event_id, e.type, e.subject, d.status, d.attempts, d.last_status, d.last_error,
		d.next_at, d.created_at, d.updated_at
		FROM mesh_deliveries d JOIN mesh_events e ON e.id = d.event_id
		WHERE d.subscription_id = ? ORDER BY d.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read deliveries")
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var next int64
		var created, updated string
		if err := rows.Scan(&d.ID, &d.EventID, &d.Type, &d.Subject, &d.Status, &d.Attempts, &d.LastStatus, &d.LastError,
			&next, &created, &updated); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read deliveries")
		}
		if d.Status == "pending" {
			d.NextAt = time.UnixMilli(next).UTC()
		}
		d.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		d.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, d)
	}
	return out, rows.Err()
}
