// Package main is the mesh command: Meshwork, a self-serve data mesh platform in one binary.
//
//	mesh serve [--demo]                      run the platform (REST API on :8080)
//	mesh apply -f FILE|DIR [--dry-run]       declare products and contracts
//	mesh publish DOMAIN.PRODUCT.TABLE FILE   publish a file as a new snapshot
//	                                         (DOMAIN.PRODUCT@vN.TABLE: into major version N)
//	mesh query "SQL"                         query the mesh
//	mesh products | describe DOMAIN.PRODUCT  browse the catalog
//	mesh page DOMAIN.PRODUCT                 a product's page: owners, dictionary, quality, use
//	mesh lineage NODE                        what a product, table or column reads and feeds
//	mesh subscribe URL --on TYPES            webhooks: CloudEvents signed with HMAC, retried
//	mesh contract versions|show|diff|majors  browse a contract's versions, compare two, list a product's majors
//	mesh lint PATH... [--against URL]        check spec files before an apply, e.g. in CI
//	mesh bench                               measure publish and query speed
//	mesh whoami                              show who the server takes you for
//	mesh token create|list|revoke            manage API tokens (admins)
//	mesh grant|revoke|grants                 give, take back and list roles on domains and products
//	mesh access request|list|approve|deny    ask for access to a product, and decide requests
//	mesh policy test DIR | policy version    run Rego policy tests locally; show the server's policies
//	mesh audit verify                        check the audit log's hash chain
//	mesh retention run                       enforce every table's retention now
//
// Client commands find the server through MESH_URL (default
// http://127.0.0.1:8080) and authenticate with the API token in MESH_TOKEN
// (sent as a bearer token; never printed). On a data directory's first
// start, mesh serve prints an admin token; with it, mesh token create makes
// tokens for everyone else and mesh grant gives them roles.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `mesh — a self-serve data mesh platform

Usage:
  mesh serve [flags]                                  run the platform
  mesh apply -f FILE|DIR [-f ...] [--dry-run]         create or update products and contracts
  mesh publish DOMAIN.PRODUCT.TABLE FILE [flags]      publish a CSV, NDJSON or Parquet file
                                                      (DOMAIN.PRODUCT@vN.TABLE: into major version N)
  mesh query "SQL" [--format table|csv|json]          run a SQL query over the mesh
  mesh products                                       list data products
  mesh describe DOMAIN.PRODUCT                        show a product: contract, tables, snapshots
  mesh page DOMAIN.PRODUCT [--format text|json]       a product's page: owners, data dictionary, sample
                                                      queries, quality history, freshness, lineage, use
  mesh search TEXT [--domain D] [--tag T] [--classification C] [--status S] [--kind K] [--limit N] [--format text|json]
                                                      find products, tables and columns you may read
  mesh freshness [DOMAIN[.PRODUCT]] [--status late] [--format text|json]
                                                      show each table's freshness against its SLA
  mesh lineage NODE [--direction up|down|both] [--depth N] [--format text|json]
                                                      what NODE (DOMAIN.PRODUCT[.TABLE[.COLUMN]] or
                                                      NAMESPACE/NAME) reads and feeds; down: impact
  mesh subscribe URL --on published,gate_failed,... [--product DOMAIN[.PRODUCT]]...
                                                      a webhook for events you may see; prints its
                                                      signing secret once
  mesh subscriptions | unsubscribe ID | deliveries ID your webhooks, delete one, its delivery log
  mesh bench [flags]                                  run the benchmark
  mesh version                                        print the version

Contracts:
  mesh contract versions DOMAIN.PRODUCT|CONTRACT_ID   list the applied versions of a product's contracts
  mesh contract show DOMAIN.PRODUCT|CONTRACT_ID VERSION [--format yaml|json]
                                                      print an applied contract version
  mesh contract diff DOMAIN.PRODUCT|CONTRACT_ID V1 V2 [--format text|json] [--exit-code]
  mesh contract diff OLD.yaml NEW.yaml [--format text|json] [--exit-code]
                                                      show what changed between two contract versions
  mesh contract majors DOMAIN.PRODUCT [--days 30]     list a product's major versions and who reads each
  mesh lint PATH... [--against MESH_URL] [--format text|json|github] [--policy-dir DIR]
                                                      check spec files as an apply would, e.g. in CI:
                                                      exit 1 on errors, 2 when they cannot be checked

Governance:
  mesh whoami                                         show your principal, groups and attributes
  mesh token create --principal NAME [--group G]... [--attr k=v]... [--expires 30d]
                                                      make an API token (admins); prints its secret once
  mesh token list [--principal NAME]                  list API tokens
  mesh token revoke ID                                revoke an API token
  mesh grant ROLE PRINCIPAL|group:NAME SCOPE [--expires 30d]
                                                      give a role (admin, owner, publisher, consumer,
                                                      unmask) on SCOPE: DOMAIN[.PRODUCT], or platform
                                                      for admin
  mesh revoke GRANT_ID | ROLE SUBJECT SCOPE           take a grant back
  mesh grants [DOMAIN[.PRODUCT]]                      list grants
  mesh access request DOMAIN.PRODUCT --purpose "..." [--role consumer]
                                                      ask a product's owners for access
  mesh access list [--status pending]                 list access requests you filed or may decide
  mesh access approve ID [--expires 90d]              approve a request (grants the role)
  mesh access deny ID --reason "..."                  deny a request
  mesh policy test DIR                                run the Rego tests of a policy bundle, locally
  mesh policy version                                 print the version of the server's policies
  mesh audit verify                                   check the audit log's hash chain (admins)
  mesh retention run                                  enforce every table's retention now (admins)

Client commands talk to the server at $MESH_URL (default http://127.0.0.1:8080)
and authenticate with the API token in $MESH_TOKEN.
Run 'mesh COMMAND -h' for a command's flags.
`

var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command; tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, rest, stderr, getenv)
	case "apply":
		err = cmdApply(ctx, rest, stdout, getenv)
	case "publish":
		err = cmdPublish(ctx, rest, stdout, getenv)
	case "query":
		err = cmdQuery(ctx, rest, stdout, getenv)
	case "products":
		err = cmdProducts(ctx, rest, stdout, getenv)
	case "describe":
		err = cmdDescribe(ctx, rest, stdout, getenv)
	case "page":
		err = cmdPage(ctx, rest, stdout, getenv)
	case "search":
		err = cmdSearch(ctx, rest, stdout, getenv)
	case "freshness":
		err = cmdFreshness(ctx, rest, stdout, getenv)
	case "lineage":
		err = cmdLineage(ctx, rest, stdout, getenv)
	case "subscribe":
		err = cmdSubscribe(ctx, rest, stdout, getenv)
	case "subscriptions":
		err = cmdSubscriptions(ctx, rest, stdout, getenv)
	case "unsubscribe":
		err = cmdUnsubscribe(ctx, rest, stdout, getenv)
	case "deliveries":
		err = cmdDeliveries(ctx, rest, stdout, getenv)
	case "contract":
		err = cmdContract(ctx, rest, stdout, getenv)
	case "lint":
		err = cmdLint(ctx, rest, stdout, getenv)
	case "bench":
		err = cmdBench(ctx, rest, stdout, stderr)
	case "whoami":
		err = cmdWhoami(ctx, rest, stdout, getenv)
	case "token":
		err = cmdToken(ctx, rest, stdout, stderr, getenv)
	case "grant":
		err = cmdGrant(ctx, rest, stdout, getenv)
	case "revoke":
		err = cmdRevoke(ctx, rest, stdout, getenv)
	case "grants":
		err = cmdGrants(ctx, rest, stdout, getenv)
	case "access":
		err = cmdAccess(ctx, rest, stdout, getenv)
	case "policy":
		err = cmdPolicy(ctx, rest, stdout, getenv)
	case "audit":
		err = cmdAudit(ctx, rest, stdout, getenv)
	case "retention":
		err = cmdRetention(ctx, rest, stdout, getenv)
	case "version":
		fmt.Fprintln(stdout, "mesh", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "mesh: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		var ee *exitError
		if errors.As(err, &ee) && ee.Err == nil {
			return ee.Code // the command has reported already
		}
		fmt.Fprintln(stderr, "mesh "+cmd+":", err)
		var ue usageError
		switch {
		case errors.As(err, &ue):
			return 2
		case ee != nil:
			return ee.Code
		}
		return 1
	}
	return 0
}
