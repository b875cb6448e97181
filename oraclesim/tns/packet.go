package tns

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
)

// TNS packet types (the byte at offset 4 of every packet header).
const (
	pktConnect  = 1
	pktAccept   = 2
	pktRefuse   = 4
	pktRedirect = 5
	pktData     = 6
	pktResend   = 11
	pktMarker   = 12
)

// Marker values (byte 10 of a marker packet).
const (
	markerBreak     = 1
	markerReset     = 2
	markerInterrupt = 3
)

// dataFlagEOF in a data packet's flags means the client is closing the session.
const dataFlagEOF = 0x40

// Protocol versions. From 315 on, packet lengths are 4 bytes once the
// handshake is complete and SDU/TDU are 32-bit fields of ACCEPT.
const (
	tnsVersionMin   = 300
	tnsVersionLarge = 315
	tnsVersionMax   = 315
)

// Session data unit bounds. go-ora asks for 2 MiB; large packets mean fewer
// system calls for big fetches.
const (
	sduMin = 512
	sduMax = 2 << 20
)

// packet is one TNS packet as read from the wire.
type packet struct {
	typ  byte
	flag byte
	raw  []byte // whole packet, header included
}

// payload returns the bytes after the data-packet header (8 bytes + 2 flag bytes).
func (p *packet) payload() []byte {
	if len(p.raw) < 10 {
		return nil
	}
	return p.raw[10:]
}

func (p *packet) dataFlags() uint16 {
	if len(p.raw) < 10 {
		return 0
	}
	return binary.BigEndian.Uint16(p.raw[8:10])
}

func (p *packet) markerValue() byte {
	if len(p.raw) < 11 {
		return 0
	}
	return p.raw[10]
}

// framer reads and writes TNS packets on one connection. Reads happen on one
// goroutine and writes on another; the two halves share only the immutable
// length mode, set before either starts.
type framer struct {
	conn    net.Conn
	r       *bufio.Reader
	longLen bool // 4-byte packet lengths (version >= 315, after ACCEPT)
	sdu     int
	hdrs    []byte      // reusable packet headers for writeData
	bufs    net.Buffers // reusable writev vector
}

func newFramer(conn net.Conn) *framer {
	return &framer{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), sdu: 8192}
}

// readPacket reads one packet. The returned raw slice is owned by the caller.
func (f *framer) readPacket() (*packet, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return nil, err
	}
	var n int
	if f.longLen {
		n = int(binary.BigEndian.Uint32(hdr[0:4]))
	} else {
		n = int(binary.BigEndian.Uint16(hdr[0:2]))
	}
	if n < 8 || n > sduMax+1024 {
		return nil, fmt.Errorf("%w: packet length %d", ErrProtocol, n)
	}
	raw := make([]byte, n)
	copy(raw, hdr[:])
	if _, err := io.ReadFull(f.r, raw[8:]); err != nil {
		return nil, err
	}
	return &packet{typ: hdr[4], flag: hdr[5], raw: raw}, nil
}

func (f *framer) putLen(hdr []byte, n int) {
	if f.longLen {
		binary.BigEndian.PutUint32(hdr[0:4], uint32(n))
	} else {
		binary.BigEndian.PutUint16(hdr[0:2], uint16(n))
		hdr[2], hdr[3] = 0, 0
	}
}

// writeData sends payload as a sequence of data packets no larger than the
// negotiated SDU, in one writev.
func (f *framer) writeData(payload []byte) error {
	maxPayload := f.sdu - 10
	n := (len(payload) + maxPayload - 1) / maxPayload
	if n == 0 {
		n = 1
	}
	if cap(f.hdrs) < n*10 {
		f.hdrs = make([]byte, n*10)
	}
	hdrs := f.hdrs[:n*10]
	bufs := f.bufs[:0]
	for i := 0; i < n; i++ {
		chunk := payload[i*maxPayload : min(len(payload), (i+1)*maxPayload)]
		h := hdrs[i*10 : i*10+10]
		f.putLen(h, len(chunk)+10)
		h[4], h[5], h[6], h[7], h[8], h[9] = pktData, 0, 0, 0, 0, 0
		bufs = append(bufs, h, chunk)
	}
	f.bufs = bufs[:0]
	_, err := bufs.WriteTo(f.conn)
	return err
}

// writeMarker sends a marker packet (break or reset).
func (f *framer) writeMarker(value byte) error {
	p := make([]byte, 11)
	f.putLen(p, 11)
	p[4] = pktMarker
	p[8], p[9], p[10] = 1, 0, value
	_, err := f.conn.Write(p)
	return err
}

// writeRaw sends a fully built packet whose header still lacks its length.
func (f *framer) writeRaw(p []byte) error {
	f.putLen(p, len(p))
	_, err := f.conn.Write(p)
	return err
}

// acceptPacket builds ACCEPT for the negotiated version and SDU. Byte 22
// (ACFL0) carries 0x04, "no advanced negotiation", so the client skips the
// ANO exchange (encryption and checksumming services) entirely.
func acceptPacket(version uint16, sdu int) []byte {
	const hdrLen = 40
	p := make([]byte, hdrLen)
	p[4] = pktAccept
	binary.BigEndian.PutUint16(p[8:], version)
	binary.BigEndian.PutUint16(p[10:], 0x0801) // options: the client's own minus out-of-band break
	binary.BigEndian.PutUint16(p[12:], uint16(min(sdu, 0xFFFF)))
	binary.BigEndian.PutUint16(p[14:], uint16(min(sdu, 0xFFFF)))
	binary.BigEndian.PutUint16(p[16:], 0x0100) // hardware byte order marker
	binary.BigEndian.PutUint16(p[18:], 0)      // connect data length
	binary.BigEndian.PutUint16(p[20:], hdrLen) // connect data offset
	p[22] = 0x04                               // ACFL0: advanced negotiation disabled
	p[23] = 0x00
	binary.BigEndian.PutUint32(p[32:], uint32(sdu))
	binary.BigEndian.PutUint32(p[36:], uint32(sdu))
	return p
}

// refusePacket builds REFUSE carrying an Oracle error code the client
// extracts from "(ERR=nnnnn)".
func refusePacket(code int) []byte {
	msg := fmt.Sprintf("(DESCRIPTION=(TMP=)(VSNNUM=0)(ERR=%d)(ERROR_STACK=(ERROR=(CODE=%d)(EMFI=4))))", code, code)
	p := make([]byte, 12, 12+len(msg))
	p[4] = pktRefuse
	p[8], p[9] = 1, 0
	binary.BigEndian.PutUint16(p[10:], uint16(len(msg)))
	return append(p, msg...)
}
