// Mesh is Meshwork, a self-serve data mesh platform in one binary.
//
//	mesh serve [--demo]                      run the platform (REST API on :8080)
//	mesh apply -f FILE|DIR [--dry-run]       declare products and contracts
//	mesh publish DOMAIN.PRODUCT.TABLE FILE   publish a file as a new snapshot
//	mesh query "SQL"                         query the mesh
//	mesh products | describe DOMAIN.PRODUCT  browse the catalog
//	mesh bench                               measure publish and query speed
//
// Client commands find the server through MESH_URL (default http://127.0.0.1:8080).
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
  mesh query "SQL" [--format table|csv|json]          run a SQL query over the mesh
  mesh products                                       list data products
  mesh describe DOMAIN.PRODUCT                        show a product: contract, tables, snapshots
  mesh bench [flags]                                  run the benchmark
  mesh version                                        print the version

Client commands talk to the server at $MESH_URL (default http://127.0.0.1:8080).
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
		err = cmdServe(ctx, rest, stderr)
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
	case "bench":
		err = cmdBench(ctx, rest, stdout, stderr)
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
		fmt.Fprintln(stderr, "mesh "+cmd+":", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}
