package tns

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// ttcVersion is the TTC version advertised in the compile-time
// capabilities. Clients use min(theirs, ours); 4 keeps every message
// layout at its simplest form that still carries 2-byte flags.
const ttcVersion = 4

// breakResetTimeout bounds the wait for the client's reset marker after the
// listener answered an interrupt with a break.
const breakResetTimeout = 30 * time.Second

// session serves one client connection.
type session struct {
	srv  *Server
	conn net.Conn
	f    *framer
	log  *slog.Logger
	sid  int

	ctx    context.Context // cancelled by kill
	cancel context.CancelFunc

	in      chan *packet // packets from the reader goroutine
	readErr error        // why in was closed; read after in is closed

	r rbuf
	w wbuf

	login   Login
	backend driver.Conn
	tx      driver.Tx
	cursors map[int]*cursor
	nextCur int
	tmp     []byte
	enc     wbuf  // one row's encoded columns
	offs    []int // column offsets in enc
	vec     []byte

	callMu      sync.Mutex // guards callCancel, interrupted, killed and cancel
	callCancel  context.CancelFunc
	interrupted bool
	killed      bool
}

func newSession(srv *Server, conn net.Conn, sid int) *session {
	s := &session{
		srv:     srv,
		conn:    conn,
		f:       newFramer(conn),
		log:     srv.log.With("sid", sid, "remote", conn.RemoteAddr().String()),
		sid:     sid,
		in:      make(chan *packet, 4),
		cursors: map[int]*cursor{},
	}
	s.r.next = s.nextPayload
	return s
}

// kill cuts the session: its calls are cancelled and its socket closed.
func (s *session) kill() {
	s.callMu.Lock()
	cancel := s.cancel
	s.killed = true
	s.callMu.Unlock()
	if cancel != nil {
		cancel()
	}
	_ = s.conn.Close()
}

func (s *session) wasKilled() bool {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	return s.killed
}

// serve runs the session until the client leaves or ctx is cancelled.
//
// Goroutines: the reader goroutine owns the read half of the socket and the
// calling goroutine runs the protocol. Shutdown order: when serve returns
// its deferred close of the socket ends the reader; the errgroup is waited
// for before the backend connection is closed.
func (s *session) serve(parent context.Context) (err error) {
	s.callMu.Lock()
	s.ctx, s.cancel = context.WithCancel(parent)
	s.callMu.Unlock()
	defer s.cancel()

	var g errgroup.Group
	defer func() {
		_ = s.conn.Close()
		_ = g.Wait()
		s.closeBackend(err)
	}()

	_ = s.conn.SetDeadline(time.Now().Add(s.srv.cfg.HandshakeTimeout))
	if err := s.handshake(); err != nil {
		return err
	}
	g.Go(s.readLoop)
	if err := s.negotiate(); err != nil {
		return err
	}
	if err := s.authenticate(); err != nil {
		return err
	}
	_ = s.conn.SetDeadline(time.Time{})
	s.log.Debug("session open", "user", s.login.User, "service", s.login.Service, "sid_name", s.login.SID)
	for {
		if err := s.serveCall(); err != nil {
			return err
		}
	}
}

// closeBackend ends the backend session: an open transaction is committed
// after a clean logoff (as Oracle does) and rolled back otherwise.
func (s *session) closeBackend(cause error) {
	for id, c := range s.cursors {
		c.close()
		delete(s.cursors, id)
	}
	if s.tx != nil {
		var err error
		if errors.Is(cause, ErrClientClosed) {
			err = s.tx.Commit()
		} else {
			err = s.tx.Rollback()
		}
		if err != nil {
			s.log.Warn("ending transaction at disconnect", "err", err)
		}
		s.tx = nil
	}
	if s.backend != nil {
		if err := s.backend.Close(); err != nil {
			s.log.Warn("closing backend connection", "err", err)
		}
		s.backend = nil
	}
}

// readLoop forwards packets to the protocol goroutine. A break from the
// client is acted on here, so that a backend call in progress can be
// cancelled while the protocol goroutine waits for it.
func (s *session) readLoop() error {
	defer close(s.in)
	for {
		p, err := s.f.readPacket()
		if err != nil {
			s.readErr = err
			return nil
		}
		if p.typ == pktMarker && p.markerValue() != markerReset {
			s.callMu.Lock()
			if s.callCancel != nil {
				s.interrupted = true
				s.callCancel()
			}
			s.callMu.Unlock()
		}
		select {
		case s.in <- p:
		case <-s.ctx.Done():
			s.readErr = s.ctx.Err()
			return nil
		}
	}
}

func (s *session) recv() (*packet, error) {
	select {
	case p, ok := <-s.in:
		if !ok {
			if s.readErr != nil {
				return nil, s.readErr
			}
			return nil, ErrClientClosed
		}
		return p, nil
	case <-s.ctx.Done():
		return nil, s.ctx.Err()
	}
}

// nextPayload feeds the request reader. Markers between calls are late
// breaks for calls that already finished; they are dropped.
func (s *session) nextPayload() ([]byte, error) {
	for {
		p, err := s.recv()
		if err != nil {
			return nil, err
		}
		switch p.typ {
		case pktData:
			if p.dataFlags()&dataFlagEOF != 0 {
				return nil, ErrClientClosed
			}
			if pl := p.payload(); len(pl) > 0 {
				return pl, nil
			}
		case pktMarker:
			continue
		default:
			return nil, fmt.Errorf("%w: packet type %d during a session", ErrProtocol, p.typ)
		}
	}
}

// beginCall arms cancellation of a backend call by a client break.
func (s *session) beginCall(cancel context.CancelFunc) {
	s.callMu.Lock()
	s.callCancel = cancel
	s.interrupted = false
	s.callMu.Unlock()
}

// endCall disarms it and reports whether the client broke the call.
func (s *session) endCall() bool {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	s.callCancel = nil
	was := s.interrupted
	s.interrupted = false
	return was
}

// send writes the response built in s.w.
func (s *session) send() error {
	err := s.f.writeData(s.w.b)
	s.w.reset()
	return err
}

// breakReset answers a client break: break marker, wait for the client's
// reset marker, reset marker, then ORA-01013 as the call's result.
func (s *session) breakReset() error {
	s.w.reset()
	if err := s.f.writeMarker(markerBreak); err != nil {
		return err
	}
	deadline := time.NewTimer(breakResetTimeout)
	defer deadline.Stop()
	for {
		select {
		case p, ok := <-s.in:
			if !ok {
				return ErrClientClosed
			}
			if p.typ != pktMarker || p.markerValue() != markerReset {
				continue
			}
		case <-deadline.C:
			return fmt.Errorf("%w: no reset marker after break", ErrProtocol)
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
		break
	}
	s.r.cur = nil
	if err := s.f.writeMarker(markerReset); err != nil {
		return err
	}
	s.writeSummary(0, 0, newOraError(oraUserCancel, "user requested cancel of current operation"))
	return s.send()
}

// writeSummary appends the end-of-call message: row count, return code,
// cursor id and error text, in the TTC version 4 layout without end-of-call
// status or end-to-end sequence fields.
func (s *session) writeSummary(cursorID int, rows int64, oe *oraError) {
	w := &s.w
	code := 0
	if oe != nil {
		code = oe.code
	}
	w.u8(msgError)
	w.uc(uint64(rows)) // current row number
	w.uc(uint64(code)) // return code
	w.uc(0)            // array element with error
	w.uc(0)            // array element errno
	w.uc(uint64(cursorID))
	w.ic(-1) // error position: none (go-ora appends it to the message when >= 0)
	w.u8(0)  // sql type
	w.u8(0)  // fatal
	w.uc(0)  // flags
	w.uc(0)  // user cursor options
	w.u8(0)  // upi parameter
	w.u8(0)  // warning flags
	w.uc(0)  // rba
	w.uc(0)  // partition id
	w.u8(0)  // table id
	w.uc(0)  // block number
	w.uc(0)  // slot number
	w.uc(0)  // os error
	w.u8(0)  // statement number
	w.u8(0)  // call number
	w.uc(0)  // pad
	w.uc(0)  // successful iterations
	w.u8(0)  // dlc
	w.u8(0)  // dlc
	w.u8(0)  // dlc
	w.u8(0)  // dlc
	if code != 0 {
		w.clrString(oe.msg)
	}
}

// sendError answers the current call with an ORA error, dropping the
// connection instead when the backend connection is broken.
func (s *session) sendError(err error) error {
	if isBadConn(err) {
		return fmt.Errorf("backend connection broken: %w", err)
	}
	s.w.reset()
	s.writeSummary(0, 0, toOraError(err))
	return s.send()
}

var (
	reServiceName = regexp.MustCompile(`(?i)\(\s*SERVICE_NAME\s*=\s*([^)]*?)\s*\)`)
	reSID         = regexp.MustCompile(`(?i)\(\s*SID\s*=\s*([^)]*?)\s*\)`)
)

// handshake reads CONNECT and answers ACCEPT or REFUSE.
func (s *session) handshake() error {
	p, err := s.f.readPacket()
	if err != nil {
		return err
	}
	if p.typ != pktConnect || len(p.raw) < 34 {
		return fmt.Errorf("%w: expected CONNECT, got packet type %d", ErrProtocol, p.typ)
	}
	version := binary.BigEndian.Uint16(p.raw[8:])
	if version < tnsVersionMin {
		_ = s.f.writeRaw(refusePacket(12564))
		return fmt.Errorf("%w: client protocol version %d is too old", ErrProtocol, version)
	}
	sdu := int(binary.BigEndian.Uint16(p.raw[14:]))
	if len(p.raw) >= 62 && version >= tnsVersionLarge {
		sdu = int(binary.BigEndian.Uint32(p.raw[58:]))
	}
	dataLen := int(binary.BigEndian.Uint16(p.raw[24:]))
	dataOff := int(binary.BigEndian.Uint16(p.raw[26:]))
	var data []byte
	if dataOff+dataLen <= len(p.raw) {
		data = p.raw[dataOff : dataOff+dataLen]
	} else {
		// Connect data longer than 230 bytes follows in a data packet.
		dp, err := s.f.readPacket()
		if err != nil {
			return err
		}
		if dp.typ != pktData {
			return fmt.Errorf("%w: expected connect data, got packet type %d", ErrProtocol, dp.typ)
		}
		data = dp.payload()
	}
	cd := string(data)
	if m := reServiceName.FindStringSubmatch(cd); m != nil {
		s.login.Service = m[1]
	}
	if m := reSID.FindStringSubmatch(cd); m != nil {
		s.login.SID = m[1]
	}
	cfg := &s.srv.cfg
	known := (s.login.Service != "" && strings.EqualFold(s.login.Service, cfg.Service)) ||
		(s.login.SID != "" && (strings.EqualFold(s.login.SID, cfg.SID) || strings.EqualFold(s.login.SID, cfg.Service)))
	if !known {
		// As Oracle's listener: a connect descriptor naming a SID it does not know is
		// refused with TNS-12505, any other with TNS-12514 (unknown service).
		code := oraUnknownService
		if s.login.Service == "" && s.login.SID != "" {
			code = oraUnknownSID
		}
		_ = s.f.writeRaw(refusePacket(code))
		return fmt.Errorf("unknown service %q / SID %q requested", s.login.Service, s.login.SID)
	}
	if version > tnsVersionMax {
		version = tnsVersionMax
	}
	sdu = min(max(sdu, sduMin), sduMax)
	if err := s.f.writeRaw(acceptPacket(version, sdu)); err != nil {
		return err
	}
	s.f.sdu = sdu
	s.f.longLen = version >= tnsVersionLarge
	return nil
}

// negotiate answers the protocol (TTC message 1) and data type (message 2)
// negotiations.
func (s *session) negotiate() error {
	r := &s.r
	if code := r.u8(); code != msgProtocol && r.err == nil {
		return fmt.Errorf("%w: expected protocol negotiation, got message %d", ErrProtocol, code)
	}
	for i := 0; i < 16; i++ { // client protocol versions, 0-terminated
		if r.u8() == 0 {
			break
		}
	}
	r.nullTerm(256) // client banner
	if r.err != nil {
		return r.err
	}
	w := &s.w
	w.u8(msgProtocol)
	w.u8(6) // protocol version 8.1 and later
	w.u8(0)
	w.str("oraclesim\x00")
	w.u16le(charsetAL32UTF8)
	w.u8(1) // server flags
	w.u16le(0)
	// A fixed 11-byte block whose bytes 9-10 hold the national charset.
	w.u16be(11)
	w.raw(0, 0, 0, 0, 0, 0, 0, 0, 0)
	w.u16be(charsetAL16UTF16)
	caps := make([]byte, 40)
	caps[0] = 6
	caps[4] = 2 // logon: O5LOGON without padding or PBKDF2
	caps[7] = ttcVersion
	caps[27] = 1 // 2-byte type representations in the data type negotiation
	w.u8(byte(len(caps)))
	w.raw(caps...)
	rt := []byte{2, 1, 0, 0, 0, 0, 4} // [1]&1: exchange time zones; [6]&4: 32k VARCHAR2
	w.u8(byte(len(rt)))
	w.raw(rt...)
	if err := s.send(); err != nil {
		return err
	}

	// Data type negotiation: read and discard the client's type list.
	if code := r.u8(); code != msgDataTypes && r.err == nil {
		return fmt.Errorf("%w: expected data type negotiation, got message %d", ErrProtocol, code)
	}
	r.skip(4) // charset, charset
	r.u8()    // flags
	ctCaps := append([]byte(nil), r.take(int(r.u8()))...)
	rtCaps := append([]byte(nil), r.take(int(r.u8()))...)
	if len(rtCaps) > 1 && rtCaps[1]&1 != 0 {
		r.skip(11) // client time zone
		if len(ctCaps) > 37 && ctCaps[37]&2 != 0 {
			r.skip(4)
		}
	}
	r.skip(2) // national charset
	twoByte := len(ctCaps) > 27 && ctCaps[27] != 0
	rd := func() int {
		if twoByte {
			p := r.take(2)
			if len(p) < 2 {
				return 0
			}
			return int(binary.BigEndian.Uint16(p))
		}
		return int(r.u8())
	}
	for i := 0; i < 10000 && r.err == nil; i++ {
		if rd() == 0 { // end of list
			break
		}
		if rd() == 0 { // type without representation
			continue
		}
		rd() // representation
		rd() // 0
	}
	if r.err != nil {
		return r.err
	}
	w.u8(msgDataTypes)
	if len(rtCaps) > 1 && rtCaps[1]&1 != 0 {
		// Database time zone +00:00, so go-ora returns DATE/TIMESTAMP values
		// and TIMESTAMP WITH LOCAL TIME ZONE values in UTC.
		w.raw(128, 0, 0, 0, 60, 60, 60, 128, 0, 0, 0)
	}
	if twoByte {
		w.raw(0, 0)
	} else {
		w.u8(0)
	}
	return s.send()
}

// authenticate runs the two-phase O5LOGON exchange and opens the backend.
func (s *session) authenticate() error {
	r := &s.r
	auth, err := newAuthState(s.srv.cfg.Password)
	if err != nil {
		return err
	}
	code, fn := r.u8(), r.u8()
	r.u8() // sequence
	if r.err != nil {
		return r.err
	}
	if code != msgFunction || (fn != fnAuthPhase1 && fn != fnAuthPhase2) {
		return fmt.Errorf("%w: expected logon, got message %d function %#x", ErrProtocol, code, fn)
	}
	if fn == fnAuthPhase1 {
		user, _ := readAuthRequest(r, true)
		if r.err != nil {
			return r.err
		}
		s.login.User = user
		eKey, err := auth.encServerKey()
		if err != nil {
			return err
		}
		w := &s.w
		w.u8(msgParameter)
		w.uc(2)
		w.keyVal("AUTH_SESSKEY", eKey, 0)
		w.keyVal("AUTH_VFR_DATA", auth.saltHex(), verifier11g)
		s.writeSummary(0, 0, nil)
		if err := s.send(); err != nil {
			return err
		}
		code, fn = r.u8(), r.u8()
		r.u8()
		if r.err != nil {
			return r.err
		}
		if code != msgFunction || fn != fnAuthPhase2 {
			return fmt.Errorf("%w: expected logon phase 2, got message %d function %#x", ErrProtocol, code, fn)
		}
	}
	user, props := readAuthRequest(r, false)
	if r.err != nil {
		return r.err
	}
	if user != "" {
		s.login.User = user
	}
	if s.srv.cfg.Password != "" {
		if err := auth.checkPassword(props["AUTH_SESSKEY"], props["AUTH_PASSWORD"]); err != nil {
			s.writeSummary(0, 0, newOraError(oraInvalidLogon, "invalid username/password; logon denied"))
			_ = s.send()
			return fmt.Errorf("logon of %q denied: %w", s.login.User, err)
		}
		s.login.Password = s.srv.cfg.Password
	}
	backend, err := s.srv.factory(s.ctx, s.login)
	if err != nil {
		_ = s.sendError(err)
		return fmt.Errorf("opening backend session for %q: %w", s.login.User, err)
	}
	s.backend = backend
	cfg := &s.srv.cfg
	w := &s.w
	kv := [][2]string{
		{"AUTH_VERSION_NO", strconv.Itoa(0x13000000)},
		{"AUTH_VERSION_STRING", "- Production"},
		{"AUTH_SESSION_ID", strconv.Itoa(s.sid)},
		{"AUTH_SERIAL_NUM", strconv.Itoa(1)},
		{"AUTH_SC_SERVICE_NAME", cfg.Service},
		{"AUTH_SC_INSTANCE_NAME", cmp(cfg.SID, cfg.Service)},
		{"AUTH_SC_DBUNIQUE_NAME", cmp(cfg.SID, cfg.Service)},
		{"AUTH_SC_DB_DOMAIN", ""},
		{"AUTH_DBNAME", cfg.Service},
		{"AUTH_INSTANCENAME", cmp(cfg.SID, cfg.Service)},
	}
	w.u8(msgParameter)
	w.uc(uint64(len(kv)))
	for _, e := range kv {
		w.keyVal(e[0], e[1], 0)
	}
	s.writeSummary(0, 0, nil)
	return s.send()
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readAuthRequest parses a logon request after its function header.
func readAuthRequest(r *rbuf, phase1 bool) (user string, props map[string]string) {
	hasUser := r.u8() != 0
	userLen := r.int(1 << 16)
	r.uc() // logon mode
	r.u8()
	count := r.int(1000)
	r.u8()
	r.u8()
	if hasUser && userLen > 0 {
		user = string(r.clr())
	}
	props = make(map[string]string, count)
	for i := 0; i < count && r.err == nil; i++ {
		k, v, _ := r.keyVal()
		props[k] = v
	}
	return user, props
}

// serveCall reads one client call and answers it.
func (s *session) serveCall() error {
	r := &s.r
	code := r.u8()
	fn := r.u8()
	r.u8() // sequence number
	if r.err != nil {
		return r.err
	}
	switch code {
	case msgPiggyback:
		return s.piggyback(fn)
	case msgFunction:
	default:
		return fmt.Errorf("%w: unexpected message %d", ErrProtocol, code)
	}
	switch fn {
	case fnExecute:
		return s.execute()
	case fnReexecFetch, fnExecuteReexec:
		return s.reexecute(fn)
	case fnFetch:
		return s.fetch()
	case fnPing:
		return s.ping()
	case fnCommit, fnRollback:
		return s.endTx(fn == fnCommit)
	case fnVersion:
		r.u8() // banner requested
		r.uc() // banner buffer length

		r.u8()
		r.u8()
		if r.err != nil {
			return r.err
		}
		banner := s.srv.cfg.Version
		s.w.u8(msgParameter)
		s.w.uc(uint64(len(banner)))
		s.w.clrString(banner)
		s.w.uc(0x13000000) // 19.0.0.0.0
		return s.send()
	case fnLogoff:
		s.writeSummary(0, 0, nil)
		return s.send()
	default:
		return fmt.Errorf("%w: unsupported function %#x", ErrProtocol, fn)
	}
}

// piggyback handles a piggybacked function, which has no answer of its own.
func (s *session) piggyback(fn byte) error {
	r := &s.r
	switch fn {
	case fnCloseCursors:
		r.u8()
		n := r.int(1 << 20)
		for i := 0; i < n && r.err == nil; i++ {
			id := int(r.uc())
			if c, ok := s.cursors[id]; ok {
				c.close()
				delete(s.cursors, id)
			}
		}
		return r.err
	default:
		return fmt.Errorf("%w: unsupported piggyback function %#x", ErrProtocol, fn)
	}
}

func (s *session) ping() error {
	if p, ok := s.backend.(driver.Pinger); ok {
		ctx, cancel := context.WithCancel(s.ctx)
		s.beginCall(cancel)
		err := p.Ping(ctx)
		broke := s.endCall()
		cancel()
		if broke {
			return s.breakReset()
		}
		if err != nil {
			return s.sendError(err)
		}
	}
	s.writeSummary(0, 0, nil)
	return s.send()
}

func (s *session) endTx(commit bool) error {
	if s.tx != nil {
		tx := s.tx
		s.tx = nil
		var err error
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			return s.sendError(err)
		}
	}
	s.writeSummary(0, 0, nil)
	return s.send()
}
