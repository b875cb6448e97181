package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The authentication of the internal protocol.
//
// Every request between coordinators and workers carries an HMAC-SHA256, keyed with the
// cluster secret (REDOFLOW_CLUSTER_SECRET), over the method, the host:port it is addressed
// to, the path and query, a timestamp, a random nonce and the SHA-256 of the body. The
// receiver recomputes it and compares in constant time; it refuses a timestamp further
// than MaxSkew from its own clock, a nonce it has seen within that window (a replay), and
// a host that is not its own advertised address (a request signed for another process).
// Every answer carries an HMAC over the request's nonce, the status and the SHA-256 of the
// body, which the caller checks: a process that does not hold the secret can neither
// command nor answer.
//
// What it does not do: it does not encrypt (bodies hold checkpoint metadata and task
// references, no credentials), and it does not tell the members of the cluster apart: any
// process that holds the secret can sign anything.

// Headers of a signed request or answer.
const (
	HeaderTime      = "X-Redoflow-Time"      // request: Unix milliseconds
	HeaderNonce     = "X-Redoflow-Nonce"     // request: 32 hex digits, random
	HeaderSignature = "X-Redoflow-Signature" // request and answer: 64 hex digits
)

// MinSecretLen is the shortest cluster secret accepted, in bytes. A short secret could
// be found offline from one signed request.
const MinSecretLen = 32

// DefaultMaxSkew is the largest difference accepted between the clock of the caller and
// of the receiver; the receiver remembers nonces for twice as long.
const DefaultMaxSkew = 30 * time.Second

// maxBody bounds the body of a request or answer, as Decode and Call do.
const maxBody = 16 << 20

// maxNonces bounds the memory of nonces; only requests whose signature checked out are
// remembered, so only a member of the cluster could fill it.
const maxNonces = 1 << 20

// ErrUnauthenticated is the class of a refused signature, on either side: a request the
// receiver refused (code CodeUnauthenticated), or an answer the caller refused
// (*UnverifiedAnswerError).
var ErrUnauthenticated = errors.New("unauthenticated")

// CodeUnauthenticated answers a request without a valid signature (HTTP 401).
const CodeUnauthenticated = "unauthenticated"

// Auth signs and checks the internal protocol's requests and answers. Its zero value is
// not usable: make one with NewAuth, or Insecure.
type Auth struct {
	key      []byte // nil: insecure
	maxSkew  time.Duration
	now      func() time.Time
	mu       sync.Mutex
	nonces   map[string]time.Time // nonce -> when it may be forgotten
	nextTrim time.Time
	lastLog  atomic.Int64 // Unix nanoseconds of the last refusal logged
}

// NewAuth returns the Auth of a cluster secret of at least MinSecretLen bytes.
func NewAuth(secret []byte) (*Auth, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("wire: the cluster secret has %d bytes, at least %d are needed", len(secret), MinSecretLen)
	}
	// The key is derived, so that the secret itself never keys anything else.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("redoflow internal protocol v1"))
	return &Auth{key: m.Sum(nil), maxSkew: DefaultMaxSkew, now: time.Now, nonces: map[string]time.Time{}}, nil
}

// RandomAuth returns an Auth with a random secret, for a process whose protocol has
// no other party (HA_MODE=NONE: the coordinator and its worker in one process).
func RandomAuth() *Auth {
	s := make([]byte, MinSecretLen)
	_, _ = rand.Read(s)
	a, _ := NewAuth(s)
	return a
}

// Insecure returns an Auth that signs nothing and accepts everything: the explicit
// development mode (REDOFLOW_INSECURE_CLUSTER=true).
func Insecure() *Auth { return &Auth{} }

// IsInsecure reports whether a accepts unauthenticated requests.
func (a *Auth) IsInsecure() bool { return a.key == nil }

func (a *Auth) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, a.key)
	for _, p := range parts {
		// Each part is length-prefixed: no two different lists of parts sign alike.
		m.Write([]byte(strconv.Itoa(len(p))))
		m.Write([]byte{':'})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func bodyHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (a *Auth) requestMAC(method, host, target, ts, nonce string, body []byte) []byte {
	return a.mac("redoflow-request-v1", method, host, target, ts, nonce, bodyHash(body))
}

func (a *Auth) answerMAC(nonce string, status int, body []byte) []byte {
	return a.mac("redoflow-answer-v1", nonce, strconv.Itoa(status), bodyHash(body))
}

// Client returns a copy of c (nil: a plain client) whose requests a signs and whose
// answers it checks. An answer without a valid signature is an error wrapping an
// *UnverifiedAnswerError.
func (a *Auth) Client(c *http.Client) *http.Client {
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	if a.IsInsecure() {
		return out
	}
	base := out.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out.Transport = signer{a: a, base: base}
	return out
}

// UnverifiedAnswerError is an answer without a valid signature: it did not come from a
// process holding the cluster secret (or the two hold different ones). Its status and
// text are shown for diagnosis only; nothing in it is acted on.
type UnverifiedAnswerError struct {
	Status int
	Text   string
}

func (e *UnverifiedAnswerError) Error() string {
	return fmt.Sprintf("%v answer (HTTP %d: %.200s): the other process does not hold this cluster secret (REDOFLOW_CLUSTER_SECRET)",
		ErrUnauthenticated, e.Status, e.Text)
}

// Unwrap makes the error match ErrUnauthenticated.
func (e *UnverifiedAnswerError) Unwrap() error { return ErrUnauthenticated }

// signer is the RoundTripper of Client.
type signer struct {
	a    *Auth
	base http.RoundTripper
}

func (s signer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(b) > maxBody {
			return nil, fmt.Errorf("wire: request body over %d bytes", maxBody)
		}
		body = b
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	n := make([]byte, 16)
	_, _ = rand.Read(n)
	nonce := hex.EncodeToString(n)
	ts := strconv.FormatInt(s.a.now().UnixMilli(), 10)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	out.Host = host
	out.Header.Set(HeaderTime, ts)
	out.Header.Set(HeaderNonce, nonce)
	out.Header.Set(HeaderSignature, hex.EncodeToString(s.a.requestMAC(req.Method, host, req.URL.RequestURI(), ts, nonce, body)))
	resp, err := s.base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	sig, _ := hex.DecodeString(resp.Header.Get(HeaderSignature))
	if len(rb) > maxBody || !hmac.Equal(sig, s.a.answerMAC(nonce, resp.StatusCode, rb)) {
		return nil, &UnverifiedAnswerError{Status: resp.StatusCode, Text: string(bytes.TrimSpace(rb))}
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	resp.ContentLength = int64(len(rb))
	return resp, nil
}

// Handler serves h only to requests a signed for host (the address this process
// advertises, that callers dial), and signs its answers. Other requests are answered 401
// with CodeUnauthenticated and a reason that tells nothing of the process's state, and
// logged (at most one line a second).
func (a *Auth) Handler(host string, log *slog.Logger, h http.Handler) http.Handler {
	if a.IsInsecure() {
		return h
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce, body, err := a.check(host, r)
		if err != nil {
			a.logRefusal(log, r, err)
			WriteError(w, http.StatusUnauthorized, CodeUnauthenticated, "%v", err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		sw := &signingWriter{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		for k, v := range sw.header {
			w.Header()[k] = v
		}
		w.Header().Set(HeaderSignature, hex.EncodeToString(a.answerMAC(nonce, sw.status, sw.body.Bytes())))
		w.WriteHeader(sw.status)
		_, _ = w.Write(sw.body.Bytes())
	})
}

func (a *Auth) logRefusal(log *slog.Logger, r *http.Request, err error) {
	now := time.Now().UnixNano()
	last := a.lastLog.Load()
	if now-last < int64(time.Second) || !a.lastLog.CompareAndSwap(last, now) {
		return
	}
	log.Warn("refused an internal request", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "reason", err)
}

// check verifies r's signature, time, nonce and host, and returns its nonce and body.
func (a *Auth) check(host string, r *http.Request) (string, []byte, error) {
	ts, nonce, sigHex := r.Header.Get(HeaderTime), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature)
	if ts == "" || nonce == "" || sigHex == "" {
		return "", nil, fmt.Errorf("%w: this port serves only redoflow processes of the cluster, whose requests are signed with REDOFLOW_CLUSTER_SECRET", ErrUnauthenticated)
	}
	sig, err := hex.DecodeString(sigHex)
	ms, terr := strconv.ParseInt(ts, 10, 64)
	if err != nil || terr != nil || len(nonce) != 32 {
		return "", nil, fmt.Errorf("%w: malformed signature headers", ErrUnauthenticated)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return "", nil, fmt.Errorf("%w: unreadable or oversized body", ErrUnauthenticated)
	}
	if !hmac.Equal(sig, a.requestMAC(r.Method, r.Host, r.URL.RequestURI(), ts, nonce, body)) {
		return "", nil, fmt.Errorf("%w: bad signature (a different REDOFLOW_CLUSTER_SECRET, or an altered request)", ErrUnauthenticated)
	}
	// Checked after the signature: the host is signed, so these are the caller's words.
	if r.Host != host {
		return "", nil, fmt.Errorf("%w: the request was signed for %q, this process is %q", ErrUnauthenticated, r.Host, host)
	}
	now := a.now()
	sent := time.UnixMilli(ms)
	if d := now.Sub(sent); d > a.maxSkew || d < -a.maxSkew {
		return "", nil, fmt.Errorf("%w: request time %s is %v from this process's clock; allowed %v (synchronise the clocks)",
			ErrUnauthenticated, sent.UTC().Format(time.RFC3339Nano), d.Round(time.Millisecond), a.maxSkew)
	}
	if err := a.remember(nonce, sent.Add(a.maxSkew), now); err != nil {
		return "", nil, err
	}
	return nonce, body, nil
}

// remember records nonce until forget; a nonce already recorded is a replay.
func (a *Auth) remember(nonce string, forget, now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.After(a.nextTrim) || len(a.nonces) >= maxNonces {
		for n, t := range a.nonces {
			if now.After(t) {
				delete(a.nonces, n)
			}
		}
		a.nextTrim = now.Add(a.maxSkew)
	}
	if _, seen := a.nonces[nonce]; seen {
		return fmt.Errorf("%w: replayed request (nonce already used)", ErrUnauthenticated)
	}
	if len(a.nonces) >= maxNonces {
		return fmt.Errorf("%w: too many requests within %v", ErrUnauthenticated, a.maxSkew)
	}
	a.nonces[nonce] = forget
	return nil
}

// signingWriter buffers an answer so that its signature can cover the body.
type signingWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *signingWriter) Header() http.Header { return w.header }

func (w *signingWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
}

func (w *signingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.body.Write(b)
}
