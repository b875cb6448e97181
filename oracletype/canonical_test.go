package oracletype_test

import (
	"testing"
	"time"

	"github.com/redoflow/redoflow/oracletype"
)

func TestAppendDateTime(t *testing.T) {
	est := time.FixedZone("", -5*3600)
	half := time.FixedZone("", -30*60)
	tests := []struct {
		t          time.Time
		frac, zone bool
		want       string
	}{
		{time.Date(2020, 1, 15, 10, 30, 0, 0, time.UTC), false, false, "2020-01-15T10:30:00"},
		{time.Date(2020, 1, 15, 10, 30, 0, 123000000, time.UTC), true, false, "2020-01-15T10:30:00.123"},
		{time.Date(2020, 1, 15, 10, 30, 0, 123456789, time.UTC), true, false, "2020-01-15T10:30:00.123456789"},
		{time.Date(2020, 1, 15, 10, 30, 0, 0, time.UTC), true, false, "2020-01-15T10:30:00"},
		{time.Date(2020, 1, 15, 10, 30, 0, 0, est), false, true, "2020-01-15T10:30:00-05:00"},
		{time.Date(2020, 1, 15, 10, 30, 0, 0, time.UTC), false, true, "2020-01-15T10:30:00+00:00"},
		{time.Date(2020, 1, 15, 10, 30, 0, 500000000, half), true, true, "2020-01-15T10:30:00.5-00:30"},
		{time.Date(-44, 3, 15, 12, 0, 0, 0, time.UTC), false, false, "-0044-03-15T12:00:00"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true, false, "9999-12-31T23:59:59.999999999"},
	}
	for _, tt := range tests {
		if got := string(oracletype.AppendDateTime(nil, tt.t, tt.frac, tt.zone)); got != tt.want {
			t.Errorf("AppendDateTime(%v, %v, %v) = %q, want %q", tt.t, tt.frac, tt.zone, got, tt.want)
		}
	}
}

func TestCanonicalDecimal(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", ".5": "0.5", "-.5": "-0.5", "12.50": "12.5", "-0.0": "0", "1.5E+3": "1500", "25e-3": "0.025",
		"12345678901234567890123456789012345678": "12345678901234567890123456789012345678",
	} {
		if got, err := oracletype.CanonicalDecimal(in); err != nil || got != want {
			t.Errorf("CanonicalDecimal(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ".", "-", "1e", "1,5", "0x10", "1e999", "NaN"} {
		if got, err := oracletype.CanonicalDecimal(bad); err == nil {
			t.Errorf("CanonicalDecimal(%q) = %q, want an error", bad, got)
		}
	}
}
