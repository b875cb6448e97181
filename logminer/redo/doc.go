// Package redo parses LogMiner's SQL_REDO statements and decodes the value
// literals found there into the canonical text redoflow writes. It is pure:
// no database, no state beyond a reusable Parser, and it imports nothing of
// the reader (package logminer), which calls it for every DML row.
//
// # SQL_REDO grammar
//
// Parse accepts the three DML statements LogMiner renders, in any letter
// case and with any white space between tokens:
//
//	insert into "S"."T"("C1","C2") values ('1',NULL)
//	update "S"."T" [a] set [a.]"C1" = <value>, ... [where <pred> and ...]
//	delete from "S"."T" [a] [where <pred> and ...]
//
// with an optional trailing ';' (absent under the NO_SQL_DELIMITER option),
// an optional schema, and a predicate being [a.]"C" = <value>, [a.]"C" IS NULL,
// or ROWID = '...' (absent under NO_ROWID_IN_STMT). A value is NULL, the bare
// token Unsupported Type (both returned as a nil *string), a quoted literal
// (returned with each doubled quote made single), a bare number, or a function call such
// as TO_DATE(...), HEXTORAW(...), UNISTR(...) || UNISTR(...) or EMPTY_CLOB(),
// optionally after a /* comment */, which is returned verbatim.
//
// LogMiner has a known defect where a quote inside a value is sometimes not
// doubled. A statement that does not parse strictly because of a quote is
// parsed once more in a relaxed mode, in which a quote closes a literal only
// where the statement can go on after it (a comma and the next column, where,
// and, ';' or the end).
//
// # Canonical values
//
// ParseType resolves a column's DATA_TYPE with package oracletype, the one
// type model the snapshot reader shares: the names ALL_TAB_COLUMNS reports
// and the ANSI names Oracle converts to them (INTEGER, SMALLINT, DOUBLE
// PRECISION, CHARACTER, ...). DecodeLiteral turns a raw value into the text
// redoflow writes to CSV, oracletype's canonical form of its kind:
//
//	NUMBER, FLOAT               exact decimal, leading zero, no exponent: 0.5, -12.25
//	BINARY_FLOAT, BINARY_DOUBLE strconv.FormatFloat(v, 'g', -1, 32|64); NaN, +Inf, -Inf
//	DATE                        2020-01-15T10:30:00
//	TIMESTAMP(p)                2020-01-15T10:30:00.123 (trailing zeros cut, no dot when zero)
//	... WITH [LOCAL] TIME ZONE  2020-01-15T10:30:00-05:00 (offset as written in the redo)
//	VARCHAR2, NVARCHAR2, CHAR,
//	NCHAR, CLOB, NCLOB, LONG    the text; UNISTR and HEXTORAW (AL32UTF8) decoded
//	RAW, BLOB, LONG RAW         lower-case hex
//	INTERVAL YEAR TO MONTH,
//	INTERVAL DAY TO SECOND      Oracle's text as given
//	EMPTY_CLOB(), EMPTY_BLOB()  the empty string
//
// Dates and timestamps are read with the explicit format argument when the
// redo carries one, otherwise with the formats sessions produce:
// YYYY-MM-DD HH24:MI:SS[.FF] [TZH:TZM] (what redoflow sets) and Oracle's
// defaults DD-MON-RR and DD-MON-RR HH.MI.SSXFF AM [TZR].
package redo
