package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/meshwork/meshwork/internal/bench"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var c bench.Config
	fs.Float64Var(&c.Scale, "scale", 1, "TPC-H scale factor (1: 6M lineitem rows)")
	fs.StringVar(&c.Dir, "dir", "", "scratch directory (default: a temporary one, removed afterwards)")
	fs.IntVar(&c.Runs, "runs", 3, "runs per TPC-H query; the median is reported")
	fs.IntVar(&c.LatencyCalls, "calls", 2000, "calls for the trivial-query latency")
	fs.StringVar(&c.MemoryLimit, "memory-limit", "8GB", "memory limit of both engines")
	fs.BoolVar(&c.SkipPublish, "skip-publish", false, "skip the publish benchmark")
	fs.BoolVar(&c.SkipTPCH, "skip-tpch", false, "skip the TPC-H benchmark")
	out := fs.String("out", "", "also write the Markdown report to this file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	c.Log = slog.New(slog.NewTextHandler(stderr, nil))
	c.PlatformLog = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := bench.Run(ctx, c)
	if err != nil {
		return err
	}
	command := "mesh bench " + strings.Join(args, " ")
	res.Markdown(stdout, strings.TrimSpace(command))
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		res.Markdown(f, strings.TrimSpace(command))
		return f.Close()
	}
	return nil
}
