package query

import "context"

// The doors a query comes in by, as Record.Door names them.
const (
	DoorHTTP   = "http"   // POST /api/v1/query
	DoorPGWire = "pgwire" // the PostgreSQL wire protocol
)

type doorKey struct{}

// WithDoor returns ctx marked as coming in by door, for the metrics and the
// usage statistics that OnDone feeds.
func WithDoor(ctx context.Context, door string) context.Context {
	return context.WithValue(ctx, doorKey{}, door)
}

// DoorOf returns the door ctx came in by, "" when unmarked.
func DoorOf(ctx context.Context) string {
	d, _ := ctx.Value(doorKey{}).(string)
	return d
}
