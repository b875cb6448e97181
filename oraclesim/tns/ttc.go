package tns

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// TTC message codes sent by the server.
const (
	msgProtocol  = 1
	msgDataTypes = 2
	msgError     = 4 // end of call summary (return code, cursor, error text)
	msgRowHeader = 6
	msgRowData   = 7
	msgParameter = 8 // key/value data: auth properties, version
	msgStatus    = 9
	msgDescribe  = 16
	msgBitVector = 21
)

// TTC message codes sent by the client.
const (
	msgFunction  = 3
	msgPiggyback = 17
)

// Function codes (second byte of a function message).
const (
	fnExecuteReexec = 4    // re-execute a parsed statement
	fnFetch         = 5    // fetch more rows of an open cursor
	fnLogoff        = 9    // end of session
	fnCommit        = 0x0E // commit
	fnRollback      = 0x0F // rollback
	fnVersion       = 0x3B // database version
	fnReexecFetch   = 0x4E // re-execute a query and fetch
	fnExecute       = 0x5E // parse/bind/define/execute/fetch in one call (OALL8)
	fnCloseCursors  = 0x69 // piggyback: close cursors
	fnAuthPhase2    = 0x73
	fnAuthPhase1    = 0x76
	fnPing          = 0x93
	fnFreeTempLobs  = 0x60 // piggyback: free temporary LOBs
)

// wbuf builds a TTC response. All integer encodings follow the client's
// readers: "compressed" integers are a length byte (0x80 set for negative
// values) followed by that many big-endian bytes.
type wbuf struct{ b []byte }

func (w *wbuf) reset()        { w.b = w.b[:0] }
func (w *wbuf) u8(v byte)     { w.b = append(w.b, v) }
func (w *wbuf) raw(p ...byte) { w.b = append(w.b, p...) }
func (w *wbuf) str(s string)  { w.b = append(w.b, s...) }
func (w *wbuf) u16le(v int)   { w.b = binary.LittleEndian.AppendUint16(w.b, uint16(v)) }
func (w *wbuf) u16be(v int)   { w.b = binary.BigEndian.AppendUint16(w.b, uint16(v)) }

// uc writes an unsigned compressed integer.
func (w *wbuf) uc(v uint64) {
	if v == 0 {
		w.b = append(w.b, 0)
		return
	}
	n := (bits.Len64(v) + 7) / 8
	w.b = append(w.b, byte(n))
	for i := n - 1; i >= 0; i-- {
		w.b = append(w.b, byte(v>>(8*i)))
	}
}

// ic writes a signed compressed integer.
func (w *wbuf) ic(v int64) {
	if v >= 0 {
		w.uc(uint64(v))
		return
	}
	u := uint64(-v)
	n := (bits.Len64(u) + 7) / 8
	w.b = append(w.b, byte(n)|0x80)
	for i := n - 1; i >= 0; i-- {
		w.b = append(w.b, byte(u>>(8*i)))
	}
}

// clrChunk is the largest chunk of a chunked CLR value; lengths 0xFD-0xFF
// have special meanings as the first byte of a CLR.
const clrChunk = 0xFC

// clr writes a length-prefixed byte string. Values longer than 252 bytes are
// chunked: 0xFE, then chunks each prefixed by a one-byte length, then 0.
// An empty value is a single 0 byte, which the client reads as NULL.
func (w *wbuf) clr(p []byte) {
	if len(p) <= clrChunk {
		w.b = append(w.b, byte(len(p)))
		w.b = append(w.b, p...)
		return
	}
	w.b = append(w.b, 0xFE)
	for len(p) > 0 {
		n := min(len(p), clrChunk)
		w.b = append(w.b, byte(n))
		w.b = append(w.b, p[:n]...)
		p = p[n:]
	}
	w.b = append(w.b, 0)
}

// clrString is clr for a string without converting it to a byte slice.
func (w *wbuf) clrString(s string) {
	if len(s) <= clrChunk {
		w.b = append(w.b, byte(len(s)))
		w.b = append(w.b, s...)
		return
	}
	w.b = append(w.b, 0xFE)
	for len(s) > 0 {
		n := min(len(s), clrChunk)
		w.b = append(w.b, byte(n))
		w.b = append(w.b, s[:n]...)
		s = s[n:]
	}
	w.b = append(w.b, 0)
}

// dlc writes a length followed by a CLR; an empty value is a single 0.
func (w *wbuf) dlc(s string) {
	if len(s) == 0 {
		w.b = append(w.b, 0)
		return
	}
	w.uc(uint64(len(s)))
	w.clrString(s)
}

// keyVal writes one entry of a key/value dictionary (session properties).
func (w *wbuf) keyVal(key, val string, num uint32) {
	w.dlc(key)
	w.dlc(val)
	w.uc(uint64(num))
}

// rbuf reads a TTC request that may span several data packets. Errors are
// sticky: after the first one every read returns zero values, and err tells
// what went wrong. This keeps request parsers a straight list of reads.
type rbuf struct {
	cur  []byte
	next func() ([]byte, error) // the payload of the next data packet
	err  error
	tmp  []byte
}

func (r *rbuf) fill() bool {
	for len(r.cur) == 0 {
		if r.err != nil {
			return false
		}
		p, err := r.next()
		if err != nil {
			r.err = err
			return false
		}
		r.cur = p
	}
	return true
}

func (r *rbuf) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
	}
}

func (r *rbuf) u8() byte {
	if r.err != nil || !r.fill() {
		return 0
	}
	b := r.cur[0]
	r.cur = r.cur[1:]
	return b
}

// take returns the next n bytes; the slice is valid until the next read.
func (r *rbuf) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n <= len(r.cur) {
		p := r.cur[:n]
		r.cur = r.cur[n:]
		return p
	}
	r.tmp = r.tmp[:0]
	for len(r.tmp) < n {
		if !r.fill() {
			return nil
		}
		k := min(n-len(r.tmp), len(r.cur))
		r.tmp = append(r.tmp, r.cur[:k]...)
		r.cur = r.cur[k:]
	}
	return r.tmp
}

func (r *rbuf) skip(n int) { r.take(n) }

// uc reads an unsigned compressed integer.
func (r *rbuf) uc() uint64 {
	n := r.u8()
	if n&0x80 != 0 {
		r.fail("negative value where an unsigned integer was expected")
		return 0
	}
	if n > 8 {
		r.fail("integer length %d", n)
		return 0
	}
	var v uint64
	for _, b := range r.take(int(n)) {
		v = v<<8 | uint64(b)
	}
	return v
}

// ic reads a signed compressed integer.
func (r *rbuf) ic() int64 {
	n := r.u8()
	neg := n&0x80 != 0
	n &= 0x7F
	if n > 8 {
		r.fail("integer length %d", n)
		return 0
	}
	var v uint64
	for _, b := range r.take(int(n)) {
		v = v<<8 | uint64(b)
	}
	if neg {
		return -int64(v)
	}
	return int64(v)
}

// int reads a compressed integer into an int bounded by limit, failing on
// larger values so that a garbled request cannot make us allocate wildly.
func (r *rbuf) int(limit int) int {
	v := r.uc()
	if v > uint64(limit) {
		r.fail("value %d exceeds %d", v, limit)
		return 0
	}
	return int(v)
}

// clr reads a length-prefixed (possibly chunked) byte string into a new
// slice. NULL (0, 0xFD, 0xFF) reads as nil.
func (r *rbuf) clr() []byte {
	n := r.u8()
	switch n {
	case 0, 0xFD, 0xFF:
		return nil
	case 0xFE:
		var out []byte
		for i := 0; ; i++ {
			if i > 1<<24 {
				r.fail("chunked value without end")
				return nil
			}
			k := r.u8()
			if r.err != nil {
				return nil
			}
			if k == 0 {
				if out == nil {
					out = []byte{}
				}
				return out
			}
			out = append(out, r.take(int(k))...)
		}
	default:
		p := r.take(int(n))
		if r.err != nil {
			return nil
		}
		return append([]byte(nil), p...)
	}
}

// dlc reads a length followed by a CLR (empty when the length is 0).
func (r *rbuf) dlc() []byte {
	n := r.uc()
	if n == 0 {
		return nil
	}
	p := r.clr()
	if uint64(len(p)) > n {
		p = p[:n]
	}
	return p
}

// keyVal reads one dictionary entry.
func (r *rbuf) keyVal() (key, val string, num uint64) {
	key = string(r.dlc())
	val = string(r.dlc())
	num = r.uc()
	return
}

// nullTerm reads a NUL-terminated string of at most limit bytes.
func (r *rbuf) nullTerm(limit int) string {
	var s []byte
	for i := 0; i < limit; i++ {
		b := r.u8()
		if r.err != nil || b == 0 {
			break
		}
		s = append(s, b)
	}
	return string(s)
}
