package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// The checks of names that go into connect descriptors, SQL, file paths and znode
// paths, where a character of the wrong kind would fail later, far from its variable,
// or change what the name designates.

// checkHost accepts a host name (letters, digits, '-' and '_' in dot-separated labels)
// or an IP address.
func checkHost(v string) error {
	if _, err := netip.ParseAddr(v); err == nil {
		return nil
	}
	bad := errors.New("not a host name or an IP address: use letters, digits, '-' and '.' (e.g. db1.example.com), or an address such as 10.0.0.5 or fd00::5 (no brackets)")
	if len(v) > 253 {
		return bad
	}
	for _, label := range strings.Split(strings.TrimSuffix(v, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for _, c := range label {
			if !isAlnum(c) && c != '-' && c != '_' {
				return bad
			}
		}
	}
	return nil
}

// checkService accepts an Oracle service name or SID: letters, digits, '_', '.', '-',
// '$' and '#'. Others would break the connect descriptor.
func checkService(v string) error {
	for _, c := range v {
		if !isAlnum(c) && !strings.ContainsRune("_.-$#", c) {
			return fmt.Errorf("%q is not allowed in a service name or SID: use letters, digits, '_', '.', '-', '$' and '#'", c)
		}
	}
	if len(v) > 255 {
		return errors.New("longer than 255 characters")
	}
	return nil
}

// checkOracleName accepts a schema or table name as Oracle stores it (after oracleName):
// 1 to 128 bytes, without '.', which separates SCHEMA from TABLE here, nor '"' or
// control characters, which no quoting in SQL could carry.
func checkOracleName(v string) error {
	switch {
	case v == "":
		return errors.New("is empty")
	case len(v) > 128:
		return errors.New("is longer than 128 bytes, Oracle's limit")
	case strings.Contains(v, "."):
		return fmt.Errorf("%q contains '.': give one name (SCHEMA.TABLE goes in DATABASE_TABLES)", v)
	case strings.ContainsFunc(v, func(c rune) bool { return c == '"' || c < ' ' || c == 0x7f }):
		return fmt.Errorf("%q contains a double quote or a control character", v)
	}
	return nil
}

// checkFlushTable accepts SCHEMA.TABLE for REDOFLOW_LOG_FLUSH_TABLE, each part as
// checkOracleName, quoted or not.
func checkFlushTable(v string) error {
	s, t, ok := strings.Cut(v, ".")
	if !ok {
		return errors.New("want SCHEMA.TABLE")
	}
	if err := checkOracleName(oracleName(s)); err != nil {
		return fmt.Errorf("schema %w", err)
	}
	if err := checkOracleName(oracleName(t)); err != nil {
		return fmt.Errorf("table %w", err)
	}
	return nil
}

// checkJobID accepts a job id: it names directories (CHECKPOINT_DIR/<job>), savepoints,
// znodes (jobs/<job>) and REST paths (/jobs/<job>). Letters, digits, '.', '_' and '-',
// 1 to 128 of them, not starting with '.' or '-'.
func checkJobID(v string) error {
	bad := errors.New("not a job id: use 1 to 128 letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. finance-cdc)")
	if len(v) > 128 || v == "" || v[0] == '.' || v[0] == '-' {
		return bad
	}
	for _, c := range v {
		if !isAlnum(c) && !strings.ContainsRune("._-", c) {
			return bad
		}
	}
	return nil
}

// checkNodeID accepts a process id in the cluster: it names the worker's znode
// (workers/<id>). Printable ASCII without '/' or spaces, 1 to 255 characters, not "."
// or "..". The default, host:port, is one.
func checkNodeID(v string) error {
	if v == "" || len(v) > 255 || v == "." || v == ".." ||
		strings.ContainsFunc(v, func(c rune) bool { return c <= ' ' || c > '~' || c == '/' }) {
		return errors.New("not a node id: use 1 to 255 printable characters without '/' or spaces (e.g. worker-1)")
	}
	return nil
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
