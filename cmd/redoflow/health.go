package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// runHealth is the container health check: the runtime image has no curl,
// so docker compose runs "redoflow health" instead. It probes one HTTP URL
// (any 2xx answer is healthy) or one TCP address (a completed connect is
// healthy) and exits 0 or 1.
func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("health", stderr)
	url := fs.String("url", "", "HTTP URL to GET; healthy on a 2xx answer (default http://127.0.0.1:$REST_PORT/overview)")
	tcp := fs.String("tcp", "", "instead of a URL, a TCP host:port that must accept a connection")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	quiet := fs.Bool("q", false, "print nothing when healthy")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *url != "" && *tcp != "" {
		return usageErr(errors.New("give --url or --tcp, not both"))
	}
	if *timeout <= 0 {
		return usageErr(fmt.Errorf("--timeout %v: want a positive duration", *timeout))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if *tcp != "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", *tcp)
		if err != nil {
			return fmt.Errorf("unhealthy: %w", err)
		}
		c.Close()
		if !*quiet {
			fmt.Fprintf(stdout, "healthy: %s accepts connections\n", *tcp)
		}
		return nil
	}

	target := *url
	if target == "" {
		port := "8081"
		if v := os.Getenv("REST_PORT"); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return usageErr(fmt.Errorf("REST_PORT=%q: want a port number", v))
			}
			port = v
		}
		target = "http://127.0.0.1:" + port + "/overview"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageErr(fmt.Errorf("--url %q: %v", target, err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("unhealthy: GET %s: %s", target, resp.Status)
	}
	if !*quiet {
		fmt.Fprintf(stdout, "healthy: GET %s: %s\n", target, resp.Status)
	}
	return nil
}
