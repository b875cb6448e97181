package wire

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var (
	secretA = []byte("cluster-secret-A-0123456789abcdefghij")
	secretB = []byte("cluster-secret-B-0123456789abcdefghij")
)

func mustAuth(t *testing.T, secret []byte) *Auth {
	t.Helper()
	a, err := NewAuth(secret)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// echo serves a's signed protocol on a test server: it answers the body it received.
func echo(t *testing.T, a *Auth) (addr string, hits *int) {
	t.Helper()
	n := 0
	srv := httptest.NewUnstartedServer(nil)
	addr = srv.Listener.Addr().String()
	srv.Config.Handler = a.Handler(addr, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		b, _ := io.ReadAll(r.Body)
		WriteJSON(w, http.StatusOK, map[string]string{"got": string(b), "path": r.URL.RequestURI()})
	}))
	srv.Start()
	t.Cleanup(srv.Close)
	return addr, &n
}

// signed returns a request to addr+path signed by a, as the client would send it.
func signed(t *testing.T, a *Auth, method, addr, path, body string) *http.Request {
	t.Helper()
	var captured *http.Request
	s := signer{a: a, base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		captured = r
		return nil, errors.New("captured")
	})}
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	_, _ = s.RoundTrip(req)
	if captured == nil {
		t.Fatal("nothing signed")
	}
	b, _ := io.ReadAll(captured.Body)
	out := captured.Clone(context.Background())
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.ContentLength = int64(len(b))
	out.RequestURI = ""
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func status(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSignedCallsGoThrough(t *testing.T) {
	a := mustAuth(t, secretA)
	addr, hits := echo(t, a)
	var out map[string]string
	if err := Call(context.Background(), a.Client(nil), addr, "/v1/x?job=j", map[string]int{"epoch": 3}, &out); err != nil {
		t.Fatal(err)
	}
	if out["got"] != `{"epoch":3}` || out["path"] != "/v1/x?job=j" || *hits != 1 {
		t.Errorf("answer %v, %d hits", out, *hits)
	}
	if err := Call(context.Background(), a.Client(nil), addr, "/v1/status", nil, &out); err != nil || out["got"] != "" {
		t.Errorf("GET: %v %v", out, err)
	}
}

func TestRefusedRequests(t *testing.T) {
	a := mustAuth(t, secretA)
	addr, hits := echo(t, a)
	for name, tc := range map[string]struct {
		req  func() *http.Request
		want string
	}{
		"no signature": {func() *http.Request {
			r, _ := http.NewRequest("POST", "http://"+addr+"/v1/epoch", strings.NewReader(`{"epoch":999999}`))
			return r
		}, "signed with REDOFLOW_CLUSTER_SECRET"},
		"wrong secret": {func() *http.Request {
			return signed(t, mustAuth(t, secretB), "POST", addr, "/v1/epoch", `{"epoch":999999}`)
		}, "bad signature"},
		"tampered body": {func() *http.Request {
			r := signed(t, a, "POST", addr, "/v1/epoch", `{"epoch":4}`)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"epoch":999999}`)), 16
			return r
		}, "bad signature"},
		"tampered path": {func() *http.Request {
			r := signed(t, a, "POST", addr, "/v1/cancel", `{}`)
			r.URL.Path = "/v1/assign"
			return r
		}, "bad signature"},
		"tampered method": {func() *http.Request {
			r := signed(t, a, "GET", addr, "/v1/status", "")
			r.Method = "DELETE"
			return r
		}, "bad signature"},
		"tampered time": {func() *http.Request {
			r := signed(t, a, "POST", addr, "/v1/epoch", `{}`)
			ms, _ := strconv.ParseInt(r.Header.Get(HeaderTime), 10, 64)
			r.Header.Set(HeaderTime, strconv.FormatInt(ms+1, 10))
			return r
		}, "bad signature"},
		"signed for another process": {func() *http.Request {
			r := signed(t, a, "POST", "127.0.0.1:1", "/v1/assign", `{}`)
			r.URL.Host = addr // sent here, with the Host it was signed for
			return r
		}, "signed for"},
		"malformed": {func() *http.Request {
			r := signed(t, a, "POST", addr, "/v1/epoch", `{}`)
			r.Header.Set(HeaderNonce, "short")
			return r
		}, "malformed"},
	} {
		code, body := status(t, tc.req())
		if code != http.StatusUnauthorized || !strings.Contains(body, CodeUnauthenticated) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: HTTP %d %s, want 401 saying %q", name, code, body, tc.want)
		}
	}
	if *hits != 0 {
		t.Errorf("%d refused requests reached the handler", *hits)
	}
}

func TestReplayAndClockSkew(t *testing.T) {
	a := mustAuth(t, secretA)
	var offset atomic.Int64 // the receiver's clock, ahead of the real one by this
	a.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	addr, hits := echo(t, a)
	req := signed(t, a, "POST", addr, "/v1/assign", `{"ref":{"attempt":2}}`)
	body, _ := io.ReadAll(req.Body)
	send := func() (int, string) {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(bytes.NewReader(body))
		return status(t, r)
	}
	if code, b := send(); code != http.StatusOK {
		t.Fatalf("first: %d %s", code, b)
	}
	if code, b := send(); code != http.StatusUnauthorized || !strings.Contains(b, "replayed") {
		t.Errorf("replay: %d %s, want 401 replayed", code, b)
	}
	if *hits != 1 {
		t.Errorf("%d hits, want 1", *hits)
	}

	// The caller's clock too far from the receiver's, either way.
	for _, off := range []time.Duration{-DefaultMaxSkew - time.Second, DefaultMaxSkew + time.Second} {
		skewed := mustAuth(t, secretA)
		skewed.now = func() time.Time { return time.Now().Add(off) }
		code, b := status(t, signed(t, skewed, "POST", addr, "/v1/epoch", `{}`))
		if code != http.StatusUnauthorized || !strings.Contains(b, "clock") {
			t.Errorf("skew %v: %d %s, want 401", off, code, b)
		}
	}
	// Within the skew: accepted.
	near := mustAuth(t, secretA)
	near.now = func() time.Time { return time.Now().Add(DefaultMaxSkew / 2) }
	if code, b := status(t, signed(t, near, "POST", addr, "/v1/epoch", `{}`)); code != http.StatusOK {
		t.Errorf("within the skew: %d %s", code, b)
	}

	// Nonces are forgotten only once their time is outside the skew: a replay after
	// that is refused by its time.
	offset.Store(int64(3 * DefaultMaxSkew))
	if code, b := send(); code != http.StatusUnauthorized || !strings.Contains(b, "clock") {
		t.Errorf("late replay: %d %s, want 401 for its time", code, b)
	}
	later := mustAuth(t, secretA)
	later.now = a.now
	if code, b := status(t, signed(t, later, "POST", addr, "/v1/epoch", `{}`)); code != http.StatusOK {
		t.Errorf("later: %d %s", code, b)
	}
	a.mu.Lock()
	n := len(a.nonces)
	a.mu.Unlock()
	if n != 1 {
		t.Errorf("%d nonces remembered, want only the latest: the others expired", n)
	}
}

func TestAnswersAreChecked(t *testing.T) {
	a := mustAuth(t, secretA)
	// A server without the secret (an impostor at the leader's address) answers as the
	// leader would, with and without a made-up signature.
	for name, sig := range map[string]string{"unsigned": "", "forged": strings.Repeat("ab", 32)} {
		impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sig != "" {
				w.Header().Set(HeaderSignature, sig)
			}
			WriteJSON(w, http.StatusOK, CheckpointAck{Path: "/forged"})
		}))
		var ack CheckpointAck
		err := Call(context.Background(), a.Client(nil), strings.TrimPrefix(impostor.URL, "http://"), PathCheckpoint, Checkpoint{}, &ack)
		impostor.Close()
		var ua *UnverifiedAnswerError
		if !errors.As(err, &ua) || !errors.Is(err, ErrUnauthenticated) || ack.Path != "" {
			t.Errorf("%s answer: %v, ack %+v; want an UnverifiedAnswerError", name, err, ack)
		}
	}
	// An answer signed for another request (a replayed answer) is refused too.
	addr, _ := echo(t, a)
	req := signed(t, a, "GET", addr, "/v1/status", "")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	old := resp.Header.Get(HeaderSignature)
	resp.Body.Close()
	replayer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderSignature, old)
		WriteJSON(w, http.StatusOK, map[string]string{"got": "", "path": "/v1/status"})
	}))
	defer replayer.Close()
	err = Call(context.Background(), a.Client(nil), strings.TrimPrefix(replayer.URL, "http://"), "/v1/status", nil, nil)
	if !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("replayed answer: %v", err)
	}
	if _, err := hex.DecodeString(old); err != nil || len(old) != 64 {
		t.Errorf("answer signature %q", old)
	}
}

func TestSecretsAndInsecureMode(t *testing.T) {
	if _, err := NewAuth([]byte("short")); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
	if _, err := NewAuth(make([]byte, MinSecretLen)); err != nil {
		t.Errorf("a %d-byte secret: %v", MinSecretLen, err)
	}
	// Insecure: nothing signed, everything accepted; a secure client refuses its answers.
	in := Insecure()
	addr, hits := echo(t, in)
	if err := Call(context.Background(), in.Client(nil), addr, "/v1/status", nil, nil); err != nil || *hits != 1 {
		t.Errorf("insecure call: %v, %d hits", err, *hits)
	}
	if err := Call(context.Background(), mustAuth(t, secretA).Client(nil), addr, "/v1/status", nil, nil); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("secure client, insecure server: %v", err)
	}
	r1, r2 := RandomAuth(), RandomAuth()
	a1, _ := echo(t, r1)
	if err := Call(context.Background(), r1.Client(nil), a1, "/x", nil, nil); err != nil {
		t.Errorf("random auth with itself: %v", err)
	}
	if err := Call(context.Background(), r2.Client(nil), a1, "/x", nil, nil); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("two random auths agree: %v", err)
	}
}
