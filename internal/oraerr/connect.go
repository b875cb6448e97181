package oraerr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
)

// Target is the database a connection was for, as configured.
type Target struct {
	Host    string // DATABASE_HOST
	Port    int    // DATABASE_PORT
	Service string // DATABASE_SID, connected to as a service name
	User    string // DATABASE_USERNAME
}

func (t Target) addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// ConnectError is a connection to the database that failed, with what failed in the
// words of the settings to check.
type ConnectError struct {
	Target Target
	// Reason says what failed and what to check.
	Reason string
	// Permanent is set when trying again cannot help until the configuration or the
	// database account changes: a host name that does not exist, an unknown SID, a
	// login refused, an account locked or expired. A refused or silent network, or a
	// service the listener does not know yet (an instance starting), may pass.
	Permanent bool
	Err       error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot connect to Oracle at %s (service %s, user %s): %s: %v",
		e.Target.addr(), e.Target.Service, e.Target.User, e.Reason, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Connect explains err, the failure of a connection to t: it returns a *ConnectError
// that says what failed (DNS, network, listener, service, login) and what to check, or
// err itself when it is no connection failure (nil stays nil).
func Connect(err error, t Target) error {
	if err == nil {
		return nil
	}
	var ce *ConnectError
	if errors.As(err, &ce) {
		return err
	}
	reason, permanent := connectReason(err, t)
	if reason == "" {
		return err
	}
	return &ConnectError{Target: t, Reason: reason, Permanent: permanent, Err: err}
}

// connectReason is what failed, and whether trying again cannot help; "" when err is no
// failure to connect.
func connectReason(err error, t Target) (string, bool) {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return fmt.Sprintf("DATABASE_HOST=%q does not resolve (no such host): check the host name", t.Host), true
		}
		return fmt.Sprintf("DATABASE_HOST=%q could not be resolved (the DNS server did not answer): check the resolver", t.Host), false
	}
	switch code := Code(err); code {
	case UnknownService:
		return fmt.Sprintf("the listener on %s does not know service %q (ORA-12514): check DATABASE_SID, "+
			"which redoflow connects to as a service name (lsnrctl services lists them); an instance that is starting registers it shortly", t.addr(), t.Service), false
	case UnknownSID:
		return fmt.Sprintf("the listener on %s does not know SID %q (ORA-12505): check DATABASE_SID", t.addr(), t.Service), true
	case InvalidLogon:
		return fmt.Sprintf("Oracle refused the login of %q (ORA-01017 invalid username/password): check DATABASE_USERNAME and DATABASE_PASSWORD", t.User), true
	case AccountLocked:
		return fmt.Sprintf("the account %q is locked (ORA-28000): unlock it (ALTER USER %s ACCOUNT UNLOCK) or set another DATABASE_USERNAME", t.User, t.User), true
	case PasswordExpired:
		return fmt.Sprintf("the password of %q has expired (ORA-28001): set a new one and update DATABASE_PASSWORD", t.User), true
	case ListenerNoHandler, 12519, 12520:
		return fmt.Sprintf("the listener on %s has no free handler (ORA-%05d): the database has reached its session or process limit", t.addr(), code), false
	case ListenerRefusedConn:
		return fmt.Sprintf("the listener on %s refused the connection (ORA-12564)", t.addr()), false
	default:
		if code != 0 && retryableORA[code] {
			return fmt.Sprintf("the database at %s is not available (ORA-%05d): it may be starting or stopping", t.addr(), code), false
		}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing listens on %s (connection refused): check DATABASE_HOST and DATABASE_PORT, and that the Oracle listener runs (lsnrctl status)", t.addr()), false
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Sprintf("%s cannot be reached (no route to the network or host): check DATABASE_HOST and the network", t.addr()), false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("the server on %s closed the connection before the login: check that DATABASE_PORT is the Oracle listener's", t.addr()), false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("%s did not answer in time: the network or a firewall drops the packets; check DATABASE_HOST, DATABASE_PORT and the firewall", t.addr()), false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Sprintf("the connection to %s failed: check DATABASE_HOST and DATABASE_PORT", t.addr()), false
	}
	return "", false
}
