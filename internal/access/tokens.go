package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// secretPrefix starts every secret the Store makes; it tells an API token
// from a JWT at a glance (and to secret scanners).
const secretPrefix = "mesh_"

// maxBearer bounds what Authenticate reads; real tokens and JWTs are far shorter.
const maxBearer = 16 << 10

// Admin bootstrap names.
const (
	adminName = "admin"
	systemBy  = "system" // CreatedBy of what the platform creates by itself
)

// minEnvSecret is the shortest admin secret accepted from the environment.
const minEnvSecret = 32

// newSecret is secretPrefix and 256 random bits, base64url without padding.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// hashSecret is what is stored of a secret. A plain SHA-256 is enough: the
// secrets are 256 random bits, not passwords, and lookup is by hash, so no
// comparison of secrets ever happens.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// unauthenticated is the one answer to every bad credential: it does not
// say whether the credential was unknown, expired or revoked.
func unauthenticated(op string) error {
	return errs.E(errs.Unauthenticated, op, "invalid or expired credentials")
}

// looksLikeJWT tells a compact JWS from an API token.
func looksLikeJWT(bearer string) bool {
	return strings.Count(bearer, ".") == 2 && !strings.HasPrefix(bearer, secretPrefix)
}

// Authenticate turns a bearer credential into a principal: an API token, or a JWT when OIDC is configured.
// Errors are errs.Unauthenticated with a message that does not echo the credential.
func (s *Store) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	const op = "access.Authenticate"
	if bearer == "" || len(bearer) > maxBearer {
		return Principal{}, unauthenticated(op)
	}
	if looksLikeJWT(bearer) {
		if s.oidc == nil {
			s.log.DebugContext(ctx, "JWT presented but OIDC is not configured")
			return Principal{}, unauthenticated(op)
		}
		return s.oidc.authenticate(ctx, bearer, s.now())
	}
	return s.authenticateToken(ctx, bearer)
}

func (s *Store) authenticateToken(ctx context.Context, secret string) (Principal, error) {
	e, err := s.lookupToken(ctx, secret)
	return e.p, err
}

// lookupToken authenticates the API token secret and returns what is known
// of it.
func (s *Store) lookupToken(ctx context.Context, secret string) (cachedToken, error) {
	const op = "access.Authenticate"
	key := sha256.Sum256([]byte(secret))
	// The generation is read before the database, so that an entry read
	// across a change is stale at once (see tokencache.go).
	gen, now := s.gen.Load(), s.now()
	if e, ok := s.tokens.get(key, gen, now); ok {
		if expired(e.expires, now) {
			s.log.DebugContext(ctx, "expired API token", "token", e.id)
			return cachedToken{}, unauthenticated(op)
		}
		return e, nil
	}
	var (
		id, name, groups, attrs string
		exp, revoked            sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `SELECT t.id, t.expires_at, t.revoked_at, p.name, p.groups, p.attrs
		FROM mesh_tokens t JOIN mesh_principals p ON p.name = t.principal WHERE t.hash = ?`, hex.EncodeToString(key[:])).
		Scan(&id, &exp, &revoked, &name, &groups, &attrs)
	if errors.Is(err, sql.ErrNoRows) {
		s.log.DebugContext(ctx, "unknown API token")
		return cachedToken{}, unauthenticated(op)
	}
	if err != nil {
		return cachedToken{}, errs.Wrap(errs.Internal, op, err, "read token")
	}
	if revoked.Valid {
		s.log.DebugContext(ctx, "revoked API token", "token", id)
		return cachedToken{}, unauthenticated(op)
	}
	expires, err := parseNullTime(exp)
	if err != nil {
		return cachedToken{}, errs.Wrap(errs.Internal, op, err, "read token")
	}
	if expired(expires, s.now()) {
		s.log.DebugContext(ctx, "expired API token", "token", id)
		return cachedToken{}, unauthenticated(op)
	}
	p := Principal{Name: name, Via: "token"}
	if err := decodePrincipal(&p, groups, attrs); err != nil {
		return cachedToken{}, errs.Wrap(errs.Internal, op, err, "read principal")
	}
	e := cachedToken{p: p, id: id, expires: expires, at: now}
	s.tokens.put(key, gen, e)
	return e, nil
}

// decodePrincipal fills p's groups and attrs from their stored JSON, leaving them nil when empty.
func decodePrincipal(p *Principal, groups, attrs string) error {
	if err := json.Unmarshal([]byte(groups), &p.Groups); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(attrs), &p.Attrs); err != nil {
		return err
	}
	if len(p.Groups) == 0 {
		p.Groups = nil
	}
	if len(p.Attrs) == 0 {
		p.Attrs = nil
	}
	return nil
}

// CreateToken makes a token for principal; groups and attrs (if non-nil) replace the principal's.
// It returns the secret, shown once. A ttl of 0 makes a token that does not expire.
func (s *Store) CreateToken(ctx context.Context, by string, principal string, groups []string, attrs map[string][]string, ttl time.Duration) (Token, string, error) {
	const op = "access.CreateToken"
	if by == "" {
		return Token{}, "", errs.E(errs.Invalid, op, "the creator of a token is required")
	}
	if err := checkPrincipal(op, principal); err != nil {
		return Token{}, "", err
	}
	groups, err := normGroups(op, groups)
	if err != nil {
		return Token{}, "", err
	}
	if err := checkAttrs(op, attrs); err != nil {
		return Token{}, "", err
	}
	if ttl < 0 {
		return Token{}, "", errs.E(errs.Invalid, op, "the token lifetime must not be negative")
	}
	now := s.clock()
	t := Token{ID: newID("tok_"), Principal: principal, CreatedBy: by, CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	secret := newSecret()
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := upsertPrincipal(ctx, tx, principal, groups, attrs, now); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store principal %s", principal)
		}
		if err := insertToken(ctx, tx, t, hashSecret(secret)); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store token")
		}
		return nil
	})
	if err != nil {
		return Token{}, "", err
	}
	s.log.InfoContext(ctx, "token created", "token", t.ID, "principal", principal, "by", by)
	return t, secret, nil
}

// exchangedBy is the created_by of a token issued by Exchange, before the
// id of the token it was exchanged for.
const exchangedBy = "exchange:"

// Exchange issues a new API token of principal for ttl (the OAuth2 client
// credentials grant of the Iceberg REST catalog) in exchange for secret, a
// credential of principal. An exchanged token never outlives the API token
// it was exchanged for: it expires with it at the latest, and revoking that
// token revokes it (see RevokeToken), so that exchanging again and again
// cannot stretch a credential's life. A JWT is exchanged for at most ttl.
// A wrong secret, or one of another principal, is Unauthenticated.
func (s *Store) Exchange(ctx context.Context, principal, secret string, ttl time.Duration) (Token, string, error) {
	const op = "access.Exchange"
	if secret == "" || len(secret) > maxBearer {
		return Token{}, "", unauthenticated(op)
	}
	var p Principal
	by := principal
	if looksLikeJWT(secret) {
		var err error
		if p, err = s.Authenticate(ctx, secret); err != nil {
			return Token{}, "", err
		}
	} else {
		e, err := s.lookupToken(ctx, secret)
		if err != nil {
			return Token{}, "", err
		}
		p, by = e.p, exchangedBy+e.id
		if e.expires != nil {
			left := e.expires.Sub(s.clock())
			if left <= 0 {
				return Token{}, "", unauthenticated(op)
			}
			if ttl <= 0 || left < ttl {
				ttl = left
			}
		}
	}
	if p.Name != principal {
		return Token{}, "", errs.E(errs.Unauthenticated, op, "the credential is not the principal's")
	}
	return s.CreateToken(ctx, by, p.Name, p.Groups, p.Attrs, ttl)
}

// upsertPrincipal creates a principal or, for non-nil groups and attrs, replaces them.
func upsertPrincipal(ctx context.Context, q querier, name string, groups []string, attrs map[string][]string, now time.Time) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO mesh_principals (name, groups, attrs, created_at) VALUES (?, '[]', '{}', ?)
		ON CONFLICT (name) DO NOTHING`, name, fmtTime(now)); err != nil {
		return err
	}
	if groups != nil {
		b, err := json.Marshal(groups)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE mesh_principals SET groups = ? WHERE name = ?`, string(b), name); err != nil {
			return err
		}
	}
	if attrs != nil {
		b, err := json.Marshal(attrs)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE mesh_principals SET attrs = ? WHERE name = ?`, string(b), name); err != nil {
			return err
		}
	}
	return nil
}

func insertToken(ctx context.Context, q querier, t Token, hash string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO mesh_tokens (id, principal, hash, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, t.ID, t.Principal, hash, t.CreatedBy, fmtTime(t.CreatedAt), nullTime(t.ExpiresAt))
	return err
}

const tokenCols = `id, principal, created_by, created_at, expires_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var (
		t            Token
		created      string
		exp, revoked sql.NullString
	)
	if err := sc.Scan(&t.ID, &t.Principal, &t.CreatedBy, &created, &exp, &revoked); err != nil {
		return Token{}, err
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return Token{}, err
	}
	if t.ExpiresAt, err = parseNullTime(exp); err != nil {
		return Token{}, err
	}
	if t.RevokedAt, err = parseNullTime(revoked); err != nil {
		return Token{}, err
	}
	return t, nil
}

// Tokens lists tokens, all of them or one principal's, oldest first.
func (s *Store) Tokens(ctx context.Context, principal string) ([]Token, error) {
	const op = "access.Tokens"
	q, args := `SELECT `+tokenCols+` FROM mesh_tokens ORDER BY created_at, id`, []any(nil)
	if principal != "" {
		q, args = `SELECT `+tokenCols+` FROM mesh_tokens WHERE principal = ? ORDER BY created_at, id`, []any{principal}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read tokens")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read tokens")
	}
	return out, nil
}

// RevokeToken revokes a token by id. Revoking a revoked token changes nothing.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	const op = "access.RevokeToken"
	var t Token
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM mesh_tokens WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, op, "token %s does not exist", id)
		}
		if err != nil {
			return errs.Wrap(errs.Internal, op, err, "read token")
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := s.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE mesh_tokens SET revoked_at = ? WHERE id = ?`, fmtTime(now), id); err != nil {
			return errs.Wrap(errs.Internal, op, err, "revoke token")
		}
		t.RevokedAt = &now
		// The tokens exchanged for it, and those exchanged for them, go too.
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE x(id) AS (
				SELECT id FROM mesh_tokens WHERE created_by = ?
				UNION SELECT t.id FROM mesh_tokens t JOIN x ON t.created_by = ? || x.id)
			UPDATE mesh_tokens SET revoked_at = ? WHERE id IN (SELECT id FROM x) AND revoked_at IS NULL`,
			exchangedBy+id, exchangedBy, fmtTime(now)); err != nil {
			return errs.Wrap(errs.Internal, op, err, "revoke the tokens exchanged for token %s", id)
		}
		return nil
	})
	if err != nil {
		return Token{}, err
	}
	s.log.InfoContext(ctx, "token revoked", "token", id, "principal", t.Principal)
	return t, nil
}

// EnsureAdmin makes sure the platform has an admin: on first start it creates principal "admin" with the admin role
// and a token (secret = envSecret when non-empty, else random) and returns the secret; created reports whether a new
// secret was registered (a known envSecret is not registered twice).
//
// Every call makes sure principal "admin" exists and holds a non-expiring
// admin grant on the platform. Without envSecret, a random secret is made
// only while "admin" has no token at all: once its tokens are revoked, the
// way back in is an envSecret, not a restart (which would print a new
// secret to whoever reads the logs). An envSecret is returned as the secret
// whether or not it was new; a known envSecret whose token was revoked,
// expired or is another principal's is a Conflict.
func (s *Store) EnsureAdmin(ctx context.Context, envSecret string) (secret string, created bool, err error) {
	const op = "access.EnsureAdmin"
	if envSecret != "" {
		if err := checkEnvSecret(op, envSecret); err != nil {
			return "", false, err
		}
	}
	now := s.clock()
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := upsertPrincipal(ctx, tx, adminName, nil, nil, now); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store the admin principal")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_grants (id, role, subject, domain, product, expires_at, created_by, created_at)
			VALUES (?, ?, ?, '', '', NULL, ?, ?)
			ON CONFLICT (role, subject, domain, product) DO UPDATE SET expires_at = NULL`,
			newID("grt_"), string(RoleAdmin), adminName, systemBy, fmtTime(now)); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store the admin grant")
		}
		if envSecret != "" {
			secret = envSecret
			t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM mesh_tokens WHERE hash = ?`, hashSecret(envSecret)))
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return errs.Wrap(errs.Internal, op, err, "read tokens")
			case t.Principal != adminName || t.RevokedAt != nil || expired(t.ExpiresAt, now):
				return errs.E(errs.Conflict, op, "the admin secret from the environment is known but no longer valid for %s (token %s); set a new one", adminName, t.ID)
			default:
				return nil // registered on an earlier start
			}
		} else {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mesh_tokens WHERE principal = ?`, adminName).Scan(&n); err != nil {
				return errs.Wrap(errs.Internal, op, err, "read tokens")
			}
			if n > 0 {
				return nil
			}
			secret = newSecret()
		}
		t := Token{ID: newID("tok_"), Principal: adminName, CreatedBy: systemBy, CreatedAt: now}
		if err := insertToken(ctx, tx, t, hashSecret(secret)); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store the admin token")
		}
		created = true
		s.log.InfoContext(ctx, "admin token created", "token", t.ID, "fromEnvironment", envSecret != "")
		return nil
	})
	s.changed()
	if err != nil {
		return "", false, err
	}
	return secret, created, nil
}

// checkEnvSecret refuses an operator-chosen secret that is short or that
// Authenticate could never accept as an API token.
func checkEnvSecret(op, secret string) error {
	if len(secret) < minEnvSecret {
		return errs.E(errs.Invalid, op, "the admin secret must be at least %d characters", minEnvSecret)
	}
	if len(secret) > maxBearer {
		return errs.E(errs.Invalid, op, "the admin secret must be at most %d characters", maxBearer)
	}
	for i := 0; i < len(secret); i++ {
		if c := secret[i]; c <= ' ' || c > '~' {
			return errs.E(errs.Invalid, op, "the admin secret must be printable ASCII without spaces")
		}
	}
	if looksLikeJWT(secret) {
		return errs.E(errs.Invalid, op, "the admin secret must not look like a JWT (two dots); start it with %q", secretPrefix)
	}
	return nil
}

// AuthenticateHeader authenticates the value of an HTTP Authorization
// header, which must be "Bearer <token or OIDC JWT>".
func (s *Store) AuthenticateHeader(ctx context.Context, header string) (Principal, error) {
	const op = "access.AuthenticateHeader"
	scheme, cred, _ := strings.Cut(header, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case header == "":
		return Principal{}, errs.E(errs.Unauthenticated, op, "authentication required: send Authorization: Bearer <token>")
	case !strings.EqualFold(scheme, "Bearer") || cred == "":
		return Principal{}, errs.E(errs.Unauthenticated, op, "the Authorization header must be: Bearer <token>")
	}
	p, err := s.Authenticate(ctx, cred)
	if err != nil && ctx.Err() != nil {
		return p, errs.Wrap(errs.Canceled, op, err, "the request was canceled")
	}
	return p, err
}
