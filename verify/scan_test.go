package verify

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

func TestScanner(t *testing.T) {
	type rec struct {
		fields []string
		null   []bool
		line   int
	}
	tests := []struct {
		name, in string
		want     []rec
	}{
		{"NULL, empty, plain", "a,b,c\n,\"\",x\n", []rec{
			{[]string{"a", "b", "c"}, []bool{false, false, false}, 1},
			{[]string{"", "", "x"}, []bool{true, false, false}, 2}}},
		{"an empty field last", "a,b\nx,\nx,\"\"\n", []rec{
			{[]string{"a", "b"}, []bool{false, false}, 1},
			{[]string{"x", ""}, []bool{false, true}, 2},
			{[]string{"x", ""}, []bool{false, false}, 3}}},
		{"quotes, commas and line breaks", "a,b\n\"x,\"\"y\"\"\",\"l1\nl2\r\nl3\"\nz,w", []rec{
			{[]string{"a", "b"}, []bool{false, false}, 1},
			{[]string{`x,"y"`, "l1\nl2\r\nl3"}, []bool{false, false}, 2},
			{[]string{"z", "w"}, []bool{false, false}, 5}}},
		{"CR LF line ends", "a,b\r\n1,\r\n\"\",2\r\n", []rec{
			{[]string{"a", "b"}, []bool{false, false}, 1},
			{[]string{"1", ""}, []bool{false, true}, 2},
			{[]string{"", "2"}, []bool{false, false}, 3}}},
		{"one column, NULL", "a\n\nb\n", []rec{
			{[]string{"a"}, []bool{false}, 1},
			{[]string{""}, []bool{true}, 2},
			{[]string{"b"}, []bool{false}, 3}}},
		{"a line longer than the buffer", "a\n" + strings.Repeat("x", 300<<10) + "\n", []rec{
			{[]string{"a"}, []bool{false}, 1},
			{[]string{strings.Repeat("x", 300<<10)}, []bool{false}, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScanner(strings.NewReader(tt.in))
			var got []rec
			for {
				r, err := s.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, rec{slices.Clone(r.fields), slices.Clone(r.null), r.line})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if !slices.Equal(got[i].fields, tt.want[i].fields) || !slices.Equal(got[i].null, tt.want[i].null) || got[i].line != tt.want[i].line {
					t.Fatalf("record %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	for _, in := range []string{"a,b\nx\"y,z\n", "a,b\n\"x\"y,z\n", "a,b\n\"x,y\n", "a,b\nx,y,z\n", "a,b\nx\n"} {
		s := newScanner(strings.NewReader(in))
		s.next()
		if _, err := s.next(); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestCSVLine(t *testing.T) {
	if got, want := csvLine([]string{"", "", "a,b", ` x`, `q"`, "n"}, []bool{true, false, false, false, false, false}), `,"","a,b"," x","q""",n`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestXIDsHoldNoRecord: an interned XID is a copy, not a piece of the
// record it was read from, which would stay in memory with it.
func TestXIDsHoldNoRecord(t *testing.T) {
	c := &checker{xidIdx: map[string]int32{}}
	rec := "c,1,2,,0A000B00C0000000,0," + strings.Repeat("v", 1000)
	x := rec[7:23]
	c.xid(x)
	p := uintptr(unsafe.Pointer(unsafe.StringData(c.xids[0])))
	if base := uintptr(unsafe.Pointer(unsafe.StringData(rec))); p >= base && p < base+uintptr(len(rec)) {
		t.Fatal("the interned XID points into the record")
	}
	if c.xids[0] != x {
		t.Fatalf("interned %q", c.xids[0])
	}
}
