// Package tns is a TNS listener that serves database/sql driver
// connections to Oracle clients over TCP. It speaks enough of Oracle's wire
// protocol (TNS packets carrying TTC messages) for the go-ora v2.9.0 driver
// to log on, run SQL and PL/SQL with binds, fetch rows in batches, commit,
// roll back, ping, cancel and log off, so that process-level tests reach a
// simulated database through the same driver and DSN as production.
//
// The listener knows nothing about the database behind it. Each client
// session gets its own driver.Conn from a ConnFactory; TTC calls become
// driver calls (QueryerContext, ExecerContext, ConnPrepareContext,
// ConnBeginTx, Pinger) with the SQL text passed through untouched, and the
// result columns are described from the driver's Oracle type names
// (RowsColumnTypeDatabaseTypeName: NUMBER, FLOAT, BINARY_FLOAT,
// BINARY_DOUBLE, VARCHAR2, NVARCHAR2, CHAR, NCHAR, DATE, TIMESTAMP[(p)],
// TIMESTAMP WITH [LOCAL] TIME ZONE, RAW, CLOB, NCLOB, BLOB; anything else
// travels as VARCHAR2). Values are expected shaped like go-ora's own
// results (NUMBER as a decimal string, DATE/TIMESTAMP as time.Time, RAW and
// BLOB as []byte, strings, float32/float64, nil for NULL) and come back to
// go-ora as the same values. Backend errors implementing OraCoder reach the
// client as ORA errors with their code and message; others become ORA-00600;
// driver.ErrBadConn cuts the client's connection.
//
// Serving the oraclesim engine:
//
//	srv, err := tns.New(cfg, func(ctx context.Context, l tns.Login) (driver.Conn, error) {
//		return oraclesim.NewConnector(db, oraclesim.ConnOptions{User: strings.ToUpper(l.User), Service: l.Service}).Connect(ctx)
//	})
//	go srv.Run(ctx)        // or in an errgroup
//	<-srv.Ready()          // srv.Addr() is now the bound address
//
// # Protocol notes
//
// Everything below was derived from go-ora v2.9.0's client code
// (network/session.go, connection.go, tcp_protocol_nego.go,
// data_type_nego.go, auth_object.go, command.go, parameter.go,
// result_set.go, summary_object.go). TestPinnedDriverVersion fails when
// the go-ora version changes: re-read those files before moving the pin.
//
// Packets. Every packet has an 8-byte header: length, type (1 CONNECT,
// 2 ACCEPT, 4 REFUSE, 6 DATA, 12 MARKER), flags. The length is 2 bytes
// until ACCEPT and 4 bytes afterwards when the negotiated version is 315 or
// more (the listener accepts 315). DATA packets add 2 flag bytes; flag 0x40
// is the client's final packet. CONNECT carries the connect descriptor
// (SERVICE_NAME or SID) inline, or in a following DATA packet when longer
// than 230 bytes. ACCEPT sets ACFL0=0x04 so that the client skips advanced
// negotiation (no encryption or checksums), and 32-bit SDU/TDU at offsets
// 32 and 36: the listener grants the client's 2 MiB SDU, so a fetch of
// thousands of rows is one writev. REFUSE carries "(ERR=12514)"-style text
// the client turns into ORA-12514.
//
// Integers in TTC messages are mostly "compressed": a length byte (0x80
// set for negatives) and that many big-endian bytes. Strings and values are
// CLR: one length byte, or 0xFE followed by chunks of at most 252 bytes
// each with a length byte and a final 0 (values longer than 252 bytes).
// A 0 length byte is NULL; Oracle has no empty strings. Every client
// request is written in one go and the client discards unread bytes of a
// response packet when it sends its next call, but not further packets, so
// a response must contain exactly what the client reads.
//
// Negotiation. Message 1 (protocol) answers charset AL32UTF8 (873),
// national charset AL16UTF16 (2000) and compile-time capabilities with
// TTC version 4 at index 7: message layouts then have no end-of-call
// status, end-to-end sequence, bind error arrays or query ids. Runtime
// capability [1]&1 makes the client exchange time zones in message 2; the
// listener answers +00:00, so go-ora returns DATE and TIMESTAMP WITH LOCAL
// TIME ZONE values in UTC. Index 27 makes the type list 2 bytes per entry,
// so it can be skipped exactly.
//
// Logon is O5LOGON with the 11g verifier (6949). Phase 1 (function 0x76)
// returns AUTH_SESSKEY (48 random bytes, AES-192-CBC under
// SHA1(password+salt)+4 zero bytes, zero IV, hex) and AUTH_VFR_DATA (the
// salt). Phase 2 (0x73) brings the client's session key and AUTH_PASSWORD;
// the listener decrypts them only when Config.Password is set and answers
// ORA-01017 on a mismatch. go-ora does not check the server's proof. The
// client needs AUTH_SESSION_ID and AUTH_SERIAL_NUM in the phase-2 answer.
// After logon go-ora asks for the version (0x3B, answered with message 8
// and nothing after it), runs a PL/SQL block reading NLS parameters
// through output binds (answered with ORA-06550, which go-ora ignores) and
// queries SELECT SYSTIMESTAMP FROM DUAL, which the listener answers itself:
// go-ora decodes it before it knows the server zone and panics on any type
// but TIMESTAMP WITH TIME ZONE.
//
// Calls. 0x5E (OALL8) carries options (parse 0x01, bind 0x08, define 0x10,
// execute 0x20, fetch-only 0x40, commit 0x100), the cursor id, SQL text,
// a prefetch count for queries, 13 "al8i4" integers ([1]: iterations or
// rows, [7]: 1 for queries), bind definitions, then per iteration message 7
// with the bind values (LONG binds after all others; a bind flagged 0x80 is
// a repeated name whose value is not sent). 0x4E and 0x04 re-execute a
// cursor with new values, 0x05 fetches, 0x0E/0x0F commit/rollback, 0x93
// pings, 0x09 logs off. Piggyback message 0x11/0x69 closes cursors and
// precedes the next call in the same packet. Without the commit option, the
// listener opens a backend transaction for DML and PL/SQL and keeps it
// until 0x0E or 0x0F.
//
// Results. A query answer is message 16 (describe, on parse only), message
// 6 (row header with the column count: the only way a re-executed cursor
// learns it), rows as message 7, and message 4, the end-of-call summary
// with the cursor id, the row count and the return code: 0 for more rows,
// 1403 at the end. A batch must never be empty unless it ends with 1403, or
// go-ora stops reading. Like Oracle, the listener sends only the columns
// whose value changed since the previous row and names them in a bit vector
// (message 21); go-ora reuses its previous values. Queries with CLOB, NCLOB
// or BLOB columns return no rows on execute: go-ora (LOB FETCH=INLINE, the
// default) then sends a define call asking for LONG types, and values come
// back as LONG data (CLR plus two integers). LOB FETCH=STREAM (locators and
// LOB calls) is not served.
//
// Errors. Message 4 with a return code and a CLR message; the error
// position is sent as -1 or go-ora appends "error occur at position" to the
// text. A client cancel arrives as a marker (value 3) while a call runs: the
// reader goroutine cancels the backend call, then the listener sends a
// break marker, waits for the client's reset marker, sends a reset marker
// and answers ORA-01013. Markers outside a call are late and ignored. A
// cut connection reaches go-ora as an I/O error (driver.ErrBadConn), never
// a hang.
//
// Not served: output binds, REF CURSORs, array binds, LOB locators, ANO
// encryption, TLS, and TTC versions above 4.
package tns
