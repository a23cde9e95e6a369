package access

import "context"

type ctxKey struct{}

// WithPrincipal returns ctx carrying p: the API's authentication middleware
// puts the caller there, and every gate downstream reads it back.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal ctx carries; ok is false when there is
// none, which every gate treats as unauthenticated.
func FromContext(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
