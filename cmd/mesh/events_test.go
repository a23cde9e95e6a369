package main

import (
	"strings"
	"testing"
)

func TestSubscribeCommands(t *testing.T) {
	_, admin := server(t)
	out := mustMesh(t, admin, "subscribe", "https://hooks.example.com/mesh", "--on", "published, gate_failed", "--product", "sales.orders")
	lines := strings.Fields(out)
	if len(lines) < 2 || lines[0] != "subscription" || !strings.Contains(out, "whsec_") {
		t.Fatalf("mesh subscribe =\n%s\nwant the id and the secret", out)
	}
	id := strings.TrimSuffix(lines[1], ":")
	list := mustMesh(t, admin, "subscriptions")
	if !strings.Contains(list, id) || !strings.Contains(list, "gate_failed,published") || !strings.Contains(list, "sales.orders") {
		t.Errorf("mesh subscriptions =\n%s\nwant %s on gate_failed,published for sales.orders", list, id)
	}
	if strings.Contains(list, "whsec_") {
		t.Errorf("mesh subscriptions shows a secret:\n%s", list)
	}
	if got := mustMesh(t, admin, "deliveries", id); got != "no deliveries yet\n" {
		t.Errorf("mesh deliveries = %q, want none yet", got)
	}
	other := newToken(t, admin, "--principal", "stranger")
	if code, _, stderr := mesh(t, as(admin, other), "unsubscribe", id); code != 1 || !strings.Contains(stderr, "no subscription") {
		t.Errorf("mesh unsubscribe (another's) = %d, %q; want 1 and not found", code, stderr)
	}
	if got := mustMesh(t, admin, "unsubscribe", id); !strings.Contains(got, "deleted") {
		t.Errorf("mesh unsubscribe = %q", got)
	}
	if got := mustMesh(t, admin, "subscriptions"); got != "no subscriptions\n" {
		t.Errorf("mesh subscriptions after unsubscribing = %q", got)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no --on", []string{"subscribe", "https://x.example.com/"}, 2, "usage: mesh subscribe"},
		{"ftp", []string{"subscribe", "ftp://x.example.com/", "--on", "published"}, 1, "url: must be http(s)"},
		{"loopback", []string{"subscribe", "http://127.0.0.1:1/", "--on", "published"}, 1, "private"},
		{"unknown type", []string{"subscribe", "https://x.example.com/", "--on", "exploded"}, 1, "unknown event type"},
		{"unsubscribe without id", []string{"unsubscribe"}, 2, "usage: mesh unsubscribe ID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := mesh(t, admin, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("mesh %v = %d, %q; want %d and %q", tt.args, code, stderr, tt.code, tt.msg)
			}
		})
	}
}
