package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

const subscribeUsage = `usage: mesh subscribe URL --on published,gate_failed,... [--product DOMAIN[.PRODUCT]]...`

// subscription is what the server says of a webhook.
type subscription struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	URL       string    `json:"url"`
	On        []string  `json:"on"`
	Products  []string  `json:"products"`
	CreatedAt time.Time `json:"createdAt"`
}

// cmdSubscribe registers a webhook and prints its signing secret, once.
func cmdSubscribe(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("subscribe", flag.ContinueOnError)
	on := fs.String("on", "", "event types, comma-separated: published, gate_failed, publish_failed, contract_changed, sla_breached, access_requested, access_decided")
	var products multiFlag
	fs.Var(&products, "product", "only events of this DOMAIN or DOMAIN.PRODUCT (repeatable)")
	if err := parseFlags(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 || *on == "" {
		return usageError(subscribeUsage)
	}
	var types []string
	for t := range strings.SplitSeq(*on, ",") {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	var out struct {
		Subscription subscription `json:"subscription"`
		Secret       string       `json:"secret"`
	}
	body := map[string]any{"url": fs.Arg(0), "on": types, "products": []string(products)}
	if err := newClient(getenv).sendJSON(ctx, http.MethodPost, "/api/v1/subscriptions", body, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "subscription %s: %s on %s\n", out.Subscription.ID, out.Subscription.URL, strings.Join(out.Subscription.On, ","))
	fmt.Fprintf(stdout, "signing secret (shown only now; verify the Meshwork-Signature header with it):\n\n    %s\n", out.Secret)
	return nil
}

// cmdSubscriptions lists the caller's webhooks (an admin's: everyone's).
func cmdSubscriptions(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("subscriptions", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	var out struct {
		Subscriptions []subscription `json:"subscriptions"`
	}
	if err := newClient(getenv).getJSON(ctx, "/api/v1/subscriptions", &out); err != nil {
		return err
	}
	if len(out.Subscriptions) == 0 {
		fmt.Fprintln(stdout, "no subscriptions")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOWNER\tURL\tON\tPRODUCTS")
	for _, s := range out.Subscriptions {
		ps := strings.Join(s.Products, ",")
		if ps == "" {
			ps = "(all readable)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Owner, s.URL, strings.Join(s.On, ","), ps)
	}
	return tw.Flush()
}

// cmdUnsubscribe deletes a webhook.
func cmdUnsubscribe(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return usageError("usage: mesh unsubscribe ID")
	}
	if err := newClient(getenv).sendJSON(ctx, http.MethodDelete, "/api/v1/subscriptions/"+url.PathEscape(args[0]), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "subscription %s deleted\n", args[0])
	return nil
}

// cmdDeliveries prints a webhook's delivery log, newest first.
func cmdDeliveries(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return usageError("usage: mesh deliveries ID")
	}
	var out struct {
		Deliveries []struct {
			ID         int64     `json:"id"`
			Type       string    `json:"type"`
			Subject    string    `json:"subject"`
			Status     string    `json:"status"`
			Attempts   int       `json:"attempts"`
			LastStatus int       `json:"lastStatus"`
			LastError  string    `json:"lastError"`
			UpdatedAt  time.Time `json:"updatedAt"`
		} `json:"deliveries"`
	}
	if err := newClient(getenv).getJSON(ctx, "/api/v1/subscriptions/"+url.PathEscape(args[0])+"/deliveries", &out); err != nil {
		return err
	}
	if len(out.Deliveries) == 0 {
		fmt.Fprintln(stdout, "no deliveries yet")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tSUBJECT\tSTATUS\tATTEMPTS\tLAST\tWHEN")
	for _, d := range out.Deliveries {
		last := ""
		if d.LastStatus != 0 {
			last = fmt.Sprint(d.LastStatus)
		}
		if d.LastError != "" {
			last = d.LastError
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Type, d.Subject, d.Status, d.Attempts, last, d.UpdatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
