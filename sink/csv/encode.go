package csv

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redoflow/redoflow/change"
)

// metaColumns are the columns every file starts with.
var metaColumns = []string{"_op", "_scn", "_commit_scn", "_commit_ts", "_xid", "_seq"}

func appendHeader(b []byte, t *change.Table) []byte {
	for i, c := range metaColumns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, c)
	}
	for _, c := range t.Columns {
		b = append(b, ',')
		b = appendField(b, c.Name)
	}
	return append(b, '\n')
}

// appendRow encodes one change as a CSV record.
func appendRow(b []byte, ev *change.Event) []byte {
	b = append(b, byte(ev.Op), ',')
	b = strconv.AppendUint(b, ev.SCN, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, ev.CommitSCN, 10)
	b = append(b, ',')
	if !ev.CommitTS.IsZero() {
		b = ev.CommitTS.AppendFormat(b, "2006-01-02T15:04:05.999999999Z07:00")
	}
	b = append(b, ',')
	b = appendField(b, ev.XID)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(ev.Seq), 10)
	for _, v := range ev.Row {
		b = append(b, ',')
		switch {
		case v.Null:
		case v.Text == "":
			b = append(b, '"', '"')
		default:
			b = appendField(b, v.Text)
		}
	}
	return append(b, '\n')
}

// appendField writes s, quoted where encoding/csv would quote it.
func appendField(b []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// needsQuotes is encoding/csv's rule: a comma, quote, CR or LF anywhere, a
// leading space, or the field \. alone.
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
