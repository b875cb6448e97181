package verify

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// record is one CSV record as scanFile reads it: its fields, which of them
// are NULL, and the line it starts on. The slices are reused by the next
// record; the field strings are not, but share one allocation per record,
// so that a string kept from one holds the whole record: keep a
// strings.Clone.
type record struct {
	fields []string
	null   []bool
	line   int
}

// scanner reads the CSV files the sink and the truth writers write
// (RFC 4180, as encoding/csv writes it), keeping what encoding/csv drops:
// an unquoted empty field is NULL, a quoted one ("") the empty string.
// Quoted fields keep their bytes as written, CR LF included; a CR LF ends
// a record as LF does. Every record must have as many fields as the first.
type scanner struct {
	r      *bufio.Reader
	line   int    // the line the next record starts on
	long   []byte // a line longer than r's buffer
	buf    []byte // the record's field bytes
	ends   []int  // end of each field in buf
	quoted []bool
	want   int // fields per record, from the first
	rec    record
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: bufio.NewReaderSize(r, 256<<10), line: 1}
}

// readLine returns the next line with its LF (none at the end of the
// file), valid until the next call; io.EOF when nothing is left.
func (s *scanner) readLine() ([]byte, error) {
	l, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.long = append(s.long[:0], l...)
		for err == bufio.ErrBufferFull {
			l, err = s.r.ReadSlice('\n')
			s.long = append(s.long, l...)
		}
		l = s.long
	}
	if err == io.EOF {
		if len(l) == 0 {
			return nil, io.EOF
		}
		err = nil
	}
	if err == nil {
		s.line++
	}
	return l, err
}

var errQuote = errors.New(`a quote (") in an unquoted field, or a quoted field not closed where it should be`)

// next reads the next record; io.EOF after the last.
func (s *scanner) next() (*record, error) {
	start := s.line
	l, err := s.readLine()
	if err != nil {
		return nil, err
	}
	s.buf, s.ends, s.quoted = s.buf[:0], s.ends[:0], s.quoted[:0]
	for {
		// A field starts at l[0].
		if len(l) > 0 && l[0] == '"' {
			l = l[1:]
			for {
				i := bytes.IndexByte(l, '"')
				if i < 0 {
					// The field goes on on the next line.
					s.buf = append(s.buf, l...)
					if l, err = s.readLine(); err == io.EOF {
						return nil, fmt.Errorf("line %d: %w", start, errQuote)
					} else if err != nil {
						return nil, err
					}
					continue
				}
				s.buf = append(s.buf, l[:i]...)
				l = l[i+1:]
				if len(l) > 0 && l[0] == '"' { // "" inside quotes
					s.buf = append(s.buf, '"')
					l = l[1:]
					continue
				}
				break
			}
			s.ends, s.quoted = append(s.ends, len(s.buf)), append(s.quoted, true)
			switch {
			case len(l) > 0 && l[0] == ',':
				l = l[1:]
				continue
			case len(l) == 0 || string(l) == "\n" || string(l) == "\r\n":
			default:
				return nil, fmt.Errorf("line %d: %w", start, errQuote)
			}
			break
		}
		i := bytes.IndexAny(l, ",\"\n")
		if i >= 0 && l[i] == '"' {
			return nil, fmt.Errorf("line %d: %w", start, errQuote)
		}
		if i >= 0 && l[i] == ',' {
			s.buf = append(s.buf, l[:i]...)
			s.ends, s.quoted = append(s.ends, len(s.buf)), append(s.quoted, false)
			l = l[i+1:]
			continue
		}
		f := l
		if i >= 0 { // LF: the record's end
			f = bytes.TrimSuffix(l[:i], []byte{'\r'})
		}
		s.buf = append(s.buf, f...)
		s.ends, s.quoted = append(s.ends, len(s.buf)), append(s.quoted, false)
		break
	}
	if s.want == 0 {
		s.want = len(s.ends)
	} else if len(s.ends) != s.want {
		return nil, fmt.Errorf("line %d: %d fields, the first record has %d", start, len(s.ends), s.want)
	}
	all := string(s.buf)
	s.rec.fields, s.rec.null = s.rec.fields[:0], s.rec.null[:0]
	from := 0
	for i, end := range s.ends {
		s.rec.fields = append(s.rec.fields, all[from:end])
		s.rec.null = append(s.rec.null, from == end && !s.quoted[i])
		from = end
	}
	s.rec.line = start
	return &s.rec, nil
}

// scanFile reads a CSV file: header gets the first record's fields, row
// each later record. What they are passed is reused (see record).
func scanFile(path string, header func([]string) error, row func(r *record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	s := newScanner(f)
	h, err := s.next()
	if err == io.EOF {
		return fmt.Errorf("verify: %s is empty", path)
	}
	if err != nil {
		return fmt.Errorf("verify: %s: %w", path, err)
	}
	if err := header(h.fields); err != nil {
		if errors.Is(err, errStop) {
			return err
		}
		return fmt.Errorf("verify: %s: %w", path, err)
	}
	for {
		r, err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("verify: %s: %w", path, err)
		}
		if err := row(r); err != nil {
			return fmt.Errorf("verify: %s line %d: %w", path, r.line, err)
		}
	}
}

var errStop = errors.New("stop")

// readHeader returns a file's first record, its strings cloned.
func readHeader(path string) ([]string, error) {
	var h []string
	err := scanFile(path, func(header []string) error { h = cloneStrings(header); return errStop }, nil)
	if errors.Is(err, errStop) {
		err = nil
	}
	return h, err
}

// cloneStrings copies a slice and its strings, so that it holds nothing of
// the record they came from.
func cloneStrings(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.Clone(v)
	}
	return out
}

// csvLine renders fields as a CSV line the way the sink writes them: NULL
// empty, an empty value "".
func csvLine(fields []string, null []bool) string {
	var b []byte
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case f == "" && (null == nil || null[i]):
		case f == "":
			b = append(b, '"', '"')
		case strings.ContainsAny(f, ",\"\r\n") || f == `\.` || unicode.IsSpace(firstRune(f)):
			b = append(b, '"')
			b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
			b = append(b, '"')
		default:
			b = append(b, f...)
		}
	}
	return string(b)
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}
