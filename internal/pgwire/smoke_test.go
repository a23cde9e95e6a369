package pgwire_test

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst")
	var n int64
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM sales.orders.lineitem").Scan(&n); err != nil {
		t.Fatal(err)
	}
	t.Log(n)
}
