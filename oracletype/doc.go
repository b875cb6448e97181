// Package oracletype is redoflow's one model of Oracle's column data types:
// which names it captures, the kind each resolves to, and the canonical
// text written for a value of each kind. The redo decoder (logminer/redo)
// and the snapshot reader (snapshot) both resolve a column's type with
// Parse, so a table the stream captures is a table the snapshot reads, and
// a type either rejects fails both with the same *UnsupportedError. It
// imports only the standard library.
//
// # Names
//
// Parse takes ALL_TAB_COLUMNS.DATA_TYPE. For the types redoflow captures,
// Oracle reports these names (precisions of NUMBER, FLOAT and the character
// lengths are in other columns; the fractional-second and leading-field
// precisions are part of the name):
//
//	NUMBER, FLOAT                           Number
//	BINARY_FLOAT, BINARY_DOUBLE             Float32, Float64
//	DATE                                    Date
//	TIMESTAMP(6)                            Timestamp
//	TIMESTAMP(6) WITH TIME ZONE             TimestampTZ
//	TIMESTAMP(6) WITH LOCAL TIME ZONE       TimestampLTZ
//	VARCHAR2, NVARCHAR2, CHAR, NCHAR,
//	CLOB, NCLOB, LONG                       Text
//	RAW, BLOB, LONG RAW                     Binary
//	INTERVAL YEAR(2) TO MONTH,
//	INTERVAL DAY(2) TO SECOND(6)            Interval
//
// A column declared with an ANSI type is stored as the Oracle type of
// Oracle's table "ANSI Data Types Converted to Oracle Data Types", and
// ALL_TAB_COLUMNS reports that type: INTEGER, INT, SMALLINT, NUMERIC,
// DECIMAL and DEC as NUMBER; DOUBLE PRECISION (FLOAT(126)) and REAL
// (FLOAT(63)) as FLOAT; CHARACTER as CHAR; VARCHAR, CHARACTER VARYING and
// CHAR VARYING as VARCHAR2; NATIONAL CHARACTER (or CHAR) as NCHAR; NATIONAL
// CHARACTER (or CHAR) VARYING and NCHAR VARYING as NVARCHAR2. Parse accepts
// the ANSI names too, with the kind of the type they are stored as, so that
// a name in either form resolves the same everywhere.
// It also accepts DDL spellings: any letter case, any white space, and
// arguments in parentheses (NUMBER(18,2), VARCHAR2(40 CHAR)).
//
// Every other name is rejected: ROWID, UROWID, BFILE, XMLTYPE, JSON,
// BOOLEAN, VECTOR, user-defined and object types, and names that are no
// Oracle type (a bare INTERVAL or DOUBLE).
//
// # Canonical text
//
// The text redoflow writes for a value, whether it came from the redo or
// from a query:
//
//	Number         exact decimal, leading zero, no exponent: 0.5, -12.25 (CanonicalDecimal)
//	Float32/64     strconv.FormatFloat(v, 'g', -1, 32|64); NaN, +Inf, -Inf
//	Date           2020-01-15T10:30:00 (AppendDateTime)
//	Timestamp      2020-01-15T10:30:00.123 (trailing zeros cut, no dot when zero)
//	TimestampTZ    2020-01-15T10:30:00-05:00 (+00:00 for UTC)
//	TimestampLTZ   as Timestamp: LogMiner writes it without a zone
//	Text           the text
//	Binary         lower-case hex
//	Interval       Oracle's text as given
//
// Type.ValueText turns a value as a database/sql driver returns it into
// that text; the redo decoder (logminer/redo) turns SQL_REDO literals into
// it.
package oracletype
