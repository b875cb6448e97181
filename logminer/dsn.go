package logminer

import (
	"net"
	"net/url"
	"strconv"
)

// GoOraDSN builds the go-ora v2 connection URL the reader expects:
//
//	oracle://USER:PASSWORD@HOST:PORT/SERVICE?PREFETCH_ROWS=5000&TIMEOUT=0
//
// PREFETCH_ROWS: go-ora fetches 25 rows per round trip by default, and
// V$LOGMNR_CONTENTS is read in windows of thousands of rows; 5000 (at
// least 1000) keeps mining from being bound by round trips. TIMEOUT=0: a
// socket read timeout (the 15 s some deployments set) fires on a mining
// query that legitimately scans a large log before its first row, and the
// reader would retry the same query forever; cancellation comes from the
// context instead.
func GoOraDSN(host string, port int, service, user, password string) string {
	u := url.URL{
		Scheme:   "oracle",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(host, strconv.Itoa(port)),
		Path:     "/" + service,
		RawQuery: url.Values{"PREFETCH_ROWS": {"5000"}, "TIMEOUT": {"0"}}.Encode(),
	}
	return u.String()
}
