package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o := platform.Defaults("mesh-data")
	addr := fs.String("addr", "127.0.0.1:8080", "address of the REST API")
	fs.StringVar(&o.Data, "data", o.Data, "data directory (registry, catalog and warehouse)")
	withDemo := fs.Bool("demo", false, "seed the demo mesh on an empty data directory")
	scale := fs.Float64("demo-scale", 0.1, "TPC-H scale factor of the demo data (1 = 6M lineitem rows)")
	fs.StringVar(&o.MemoryLimit, "memory-limit", o.MemoryLimit, "DuckDB memory limit")
	fs.IntVar(&o.Threads, "threads", 0, "DuckDB threads (0: all cores)")
	fs.DurationVar(&o.QueryTimeout, "query-timeout", o.QueryTimeout, "longest a query may run")
	fs.Int64Var(&o.MaxUpload, "max-upload", o.MaxUpload, "largest publish upload, in bytes")
	fs.Int64Var(&o.MaxRows, "max-rows", o.MaxRows, "most rows a query returns")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	o.Logger = log
	p, err := platform.Open(ctx, o)
	if err != nil {
		return err
	}
	defer p.Close()
	if *withDemo {
		existing, err := p.Registry.Products(ctx)
		if err != nil {
			return err
		}
		if len(existing) == 0 {
			log.Info("seeding the demo mesh", "scale", *scale)
			if err := demo.Seed(ctx, p.Applier, p.Publisher, *scale, log); err != nil {
				return err
			}
		} else {
			log.Info("the data directory already holds products: not seeding the demo")
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p.API, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info("meshwork is serving", "url", "http://"+ln.Addr().String(), "data", o.Data)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
