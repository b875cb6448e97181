package tns

import (
	"database/sql"
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"no addr", func(c *Config) { c.Addr = "" }, false},
		{"addr without port", func(c *Config) { c.Addr = "localhost" }, false},
		{"no service", func(c *Config) { c.Service = "" }, false},
		{"service with parenthesis", func(c *Config) { c.Service = "A)B" }, false},
		{"negative sessions", func(c *Config) { c.MaxSessions = -1 }, false},
		{"no cursors", func(c *Config) { c.MaxOpenCursors = 0 }, false},
		{"tiny batches", func(c *Config) { c.MaxBatchBytes = 10 }, false},
		{"no handshake timeout", func(c *Config) { c.HandshakeTimeout = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mod(&cfg)
			err := cfg.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
		})
	}
	if _, err := New(DefaultConfig(), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New with a nil factory: %v", err)
	}
}

func TestMaxSessionsRefuses(t *testing.T) {
	ts := startServer(t, newTestDB(), func(c *Config) { c.MaxSessions = 1 })
	ctx := testCtx(t)
	first := ts.open(t, "")
	conn, err := first.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	second, err := sql.Open("oracle", ts.dsn("scott", "tiger", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := second.PingContext(ctx); oraCode(err) != 12516 {
		t.Fatalf("second session: got %v, want ORA-12516", err)
	}
	if got := ts.srv.Sessions(); got != 1 {
		t.Fatalf("Sessions() = %d, want 1", got)
	}
}
