package tns

import (
	"context"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sijms/go-ora/v2/converters"
)

// FuzzAppendNumber checks the NUMBER encoder against go-ora's decoder: any
// decimal the encoder accepts must decode to the same value (up to Oracle's
// 40 significant digits).
func FuzzAppendNumber(f *testing.F) {
	for _, s := range []string{"0", "1", "-1", "100", "0.5", "-0.000123", "123456789012345678901234567890", "1e-130", "9.99e125", "-42.4200", "+7", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc, err := appendNumber(nil, s)
		if err != nil {
			return
		}
		got, err := converters.NumberToString(enc)
		if err != nil {
			t.Fatalf("%q encoded as % x does not decode: %v", s, enc, err)
		}
		want, ok := new(big.Float).SetPrec(200).SetString(strings.TrimSpace(s))
		if !ok {
			if len(enc) == 1 && enc[0] == 0x80 {
				return // an exponent too small for big.Float: underflow to zero
			}
			t.Fatalf("encoder accepted %q which is not a number", s)
		}
		g, ok := new(big.Float).SetPrec(200).SetString(got)
		if !ok {
			t.Fatalf("decoded %q is not a number", got)
		}
		if g.Sign() == 0 && (want.Sign() == 0 || new(big.Float).Abs(want).Cmp(big.NewFloat(1e-130)) < 0) {
			return // zero, or below Oracle's smallest magnitude
		}
		// Equal to 38 significant digits (the encoder keeps up to 40).
		diff := new(big.Float).Sub(g, want)
		rel := new(big.Float).Quo(diff.Abs(diff), new(big.Float).Abs(want))
		if rel.Cmp(big.NewFloat(1e-37)) > 0 {
			t.Fatalf("%q round-tripped as %q", s, got)
		}
	})
}

func TestAppendNumberExact(t *testing.T) {
	tests := []string{"0", "1", "-1", "10", "100", "-100", "0.5", "-0.5", "12345678901234567890", "-3.142", "0.000123",
		"99999999999999999999999999999999999999", "-9223372036854775808", "1.5", "123.456", "-0.001"}
	for _, s := range tests {
		enc, err := appendNumber(nil, s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		got, err := converters.NumberToString(enc)
		if err != nil || got != s {
			t.Errorf("%s: encoded % x, decoded %q %v", s, enc, got, err)
		}
	}
	for _, bad := range []string{"", "-", "1.2.3", "abc", "1e", "--1", "1e999"} {
		if _, err := appendNumber(nil, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzServeCall feeds arbitrary bytes to the call dispatcher as if a client
// had sent them after logon: it must answer or fail, never panic or hang.
func FuzzServeCall(f *testing.F) {
	f.Add([]byte{3, 0x93, 0})                                // ping
	f.Add([]byte{3, 0x0E, 0, 3, 0x0F, 0})                    // commit, rollback
	f.Add([]byte{0x11, 0x69, 0, 1, 1, 1, 1, 5, 3, 0x93, 0})  // close cursor + ping
	f.Add([]byte{3, 5, 0, 1, 1, 1, 10})                      // fetch on an unknown cursor
	f.Add([]byte{3, 0x3B, 0, 1, 2, 1, 0, 1, 1})              // version
	f.Add([]byte{3, 0x4E, 0, 1, 1, 1, 10, 0, 0, 7, 1, 0x41}) // re-execute
	f.Add([]byte{3, 0x5E, 0, 1, 0x21, 0, 1, 1, 20, 1, 1, 13, 0, 0, 0, 1, 25, 4, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		20, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '*', ' ', 'F', 'R', 'O', 'M', ' ', 'B', 'I', 'G', ' ', ' ',
		1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // parse+execute a query
	f.Fuzz(func(t *testing.T, data []byte) {
		db := newTestDB()
		db.gen["BIG"] = bigTable(50)
		cfg := DefaultConfig()
		srv, err := New(cfg, db.factory)
		if err != nil {
			t.Fatal(err)
		}
		s := newSession(srv, discardConn{}, 1)
		s.ctx, s.cancel = context.WithCancel(context.Background())
		defer s.cancel()
		backend, _ := db.factory(s.ctx, Login{User: "FUZZ"})
		s.backend = backend
		fed := false
		s.r.next = func() ([]byte, error) {
			if fed {
				return nil, io.EOF
			}
			fed = true
			return data, nil
		}
		for i := 0; i < 64; i++ {
			if err := s.serveCall(); err != nil {
				break
			}
		}
		s.closeBackend(nil)
	})
}

type discardConn struct{}

func (discardConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (discardConn) SetDeadline(time.Time) error      { return nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
