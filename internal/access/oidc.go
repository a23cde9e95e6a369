package access

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/meshwork/meshwork/internal/errs"
)

// oidcAuth verifies JWTs from one issuer and maps their claims to a principal.
type oidcAuth struct {
	cfg      OIDCConfig // defaults applied
	verifier *oidc.IDTokenVerifier
	log      *slog.Logger
}

// newOIDC discovers the issuer (its discovery document names the JWKS) and
// builds a verifier of issuer, audience and signature. Time claims are
// checked by authenticate, because go-oidc has no configurable leeway.
func newOIDC(ctx context.Context, c OIDCConfig, log *slog.Logger) (*oidcAuth, error) {
	const op = "access.Open"
	if c.Audience == "" {
		return nil, errs.E(errs.Invalid, op, "OIDC needs an audience (the client id tokens are issued for)")
	}
	if c.PrincipalClaim == "" {
		c.PrincipalClaim = "sub"
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	switch {
	case c.ClockSkew < 0:
		return nil, errs.E(errs.Invalid, op, "the OIDC clock skew must not be negative")
	case c.ClockSkew == 0:
		c.ClockSkew = time.Minute
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, err, "OIDC discovery for issuer %s failed", c.Issuer)
	}
	v := p.Verifier(&oidc.Config{ClientID: c.Audience, SkipExpiryCheck: true})
	return &oidcAuth{cfg: c, verifier: v, log: log}, nil
}

// authenticate verifies raw and maps its claims. Every failure is the same
// Unauthenticated error; the reason goes to the log, never the token.
func (a *oidcAuth) authenticate(ctx context.Context, raw string, now time.Time) (Principal, error) {
	const op = "access.Authenticate"
	reject := func(reason string, args ...any) (Principal, error) {
		a.log.InfoContext(ctx, "OIDC token rejected: "+reason, args...)
		return Principal{}, unauthenticated(op)
	}
	tok, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return reject("verification failed", "err", err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return reject("bad claims", "err", err)
	}
	skew := a.cfg.ClockSkew
	// go-oidc parsed exp and iat (zero when absent); nbf is read here.
	if tok.Expiry.IsZero() {
		return reject("no exp claim", "subject", tok.Subject)
	}
	if !now.Before(tok.Expiry.Add(skew)) {
		return reject("expired", "subject", tok.Subject, "exp", tok.Expiry)
	}
	if !tok.IssuedAt.IsZero() && tok.IssuedAt.After(now.Add(skew)) {
		return reject("issued in the future", "subject", tok.Subject, "iat", tok.IssuedAt)
	}
	if v, ok := claims["nbf"]; ok {
		f, isNum := v.(float64)
		if !isNum {
			return reject("nbf is not a number", "subject", tok.Subject)
		}
		if nbf := numericDate(f); nbf.After(now.Add(skew)) {
			return reject("not valid yet", "subject", tok.Subject, "nbf", nbf)
		}
	}
	name, _ := claims[a.cfg.PrincipalClaim].(string)
	if name == "" {
		return reject("no principal claim", "claim", a.cfg.PrincipalClaim, "subject", tok.Subject)
	}
	if !principalRE.MatchString(name) {
		// Grants name principals by this pattern, so another name could never be granted anything.
		return reject("the principal claim is not a valid principal name", "claim", a.cfg.PrincipalClaim, "subject", tok.Subject)
	}
	p := Principal{Name: name, Via: "oidc"}
	if gs := claimStrings(claims[a.cfg.GroupsClaim]); len(gs) > 0 {
		slices.Sort(gs)
		p.Groups = slices.Compact(gs)
	}
	for _, c := range a.cfg.AttrClaims {
		if vs := claimStrings(claims[c]); len(vs) > 0 {
			if p.Attrs == nil {
				p.Attrs = map[string][]string{}
			}
			p.Attrs[c] = vs
		}
	}
	return p, nil
}

// numericDate is a JWT NumericDate (seconds since the epoch, maybe
// fractional), clamped to a range where the conversion is exact enough.
func numericDate(f float64) time.Time {
	const limit = 1 << 40 // about 34,800 years
	f = max(min(f, limit), -limit)
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

// claimStrings reads a claim that is a string or an array of strings.
// Numbers and booleans are taken in their JSON form (a "nation": 3 claim is
// as good as "3" to a row filter); anything else is left out.
func claimStrings(v any) []string {
	one := func(v any) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, x != ""
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	}
	if xs, ok := v.([]any); ok {
		var out []string
		for _, x := range xs {
			if s, ok := one(x); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := one(v); ok {
		return []string{s}
	}
	return nil
}
