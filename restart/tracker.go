package restart

import (
	"math"
	"math/rand/v2"
	"time"
)

// Tracker is one job's restart strategy state. It is not safe for concurrent use: the
// job's owner calls it under its own lock.
type Tracker struct {
	cfg  Config
	rand func() float64

	attempts int         // fixed-delay: restarts so far; exponential-delay: since the last reset
	next     time.Time   // exponential-delay: when the pending restart starts
	failures []time.Time // failure-rate: the latest MaxFailuresPerInterval+1 failures
}

// New returns a Tracker for cfg, which should be valid (Config.Validate). rand returns a
// number in [0, 1) for the exponential-delay jitter; nil uses math/rand/v2.
func New(cfg Config, rand func() float64) *Tracker {
	if rand == nil {
		rand = defaultRand
	}
	return &Tracker{cfg: cfg, rand: rand}
}

func defaultRand() float64 { return rand.Float64() }

// Config returns the strategy the tracker applies.
func (t *Tracker) Config() Config { return t.cfg }

// Failure records a failure at now. It returns when the task may start again, and ok
// false when the strategy allows no more restarts: the job fails.
func (t *Tracker) Failure(now time.Time) (restartAt time.Time, ok bool) {
	switch t.cfg.Strategy {
	case FixedDelay:
		t.attempts++
		return now.Add(t.cfg.FixedDelay.Delay), t.attempts <= t.cfg.FixedDelay.Attempts
	case FailureRate:
		return t.failureRate(now)
	case ExponentialDelay:
		return t.exponential(now)
	}
	return time.Time{}, false
}

// failureRate fails the job when more than MaxFailuresPerInterval failures, this one
// included, fall within Interval.
func (t *Tracker) failureRate(now time.Time) (time.Time, bool) {
	f := t.cfg.FailureRate
	t.failures = append(t.failures, now)
	if len(t.failures) > f.MaxFailuresPerInterval+1 {
		t.failures = t.failures[len(t.failures)-f.MaxFailuresPerInterval-1:]
	}
	if len(t.failures) == f.MaxFailuresPerInterval+1 && now.Sub(t.failures[0]) <= f.Interval {
		return time.Time{}, false
	}
	return now.Add(f.Delay), true
}

// exponential is Flink's exponential-delay: a failure while a restart is pending joins
// it; a failure ResetBackoffThreshold or more after the pending restart's start resets
// the backoff and the attempts; the backoff is InitialBackoff·BackoffMultiplier^n with
// ±JitterFactor of it at random, kept within [InitialBackoff, MaxBackoff].
func (t *Tracker) exponential(now time.Time) (time.Time, bool) {
	e := t.cfg.ExponentialDelay
	if !t.next.IsZero() && !now.After(t.next) {
		return t.next, t.withinAttempts()
	}
	if t.next.IsZero() || now.Sub(t.next) >= e.ResetBackoffThreshold {
		t.attempts = 0
	}
	t.next = now.Add(t.backoff())
	t.attempts++
	return t.next, t.withinAttempts()
}

func (t *Tracker) withinAttempts() bool {
	n := t.cfg.ExponentialDelay.AttemptsBeforeResetBackoff
	return n == 0 || t.attempts <= n
}

// backoff is the pause before restart number t.attempts+1 since the last reset.
func (t *Tracker) backoff() time.Duration {
	e := t.cfg.ExponentialDelay
	b := float64(e.InitialBackoff) * math.Pow(e.BackoffMultiplier, float64(t.attempts))
	if b > float64(e.MaxBackoff) {
		b = float64(e.MaxBackoff) // also keeps the jitter below from overflowing
	}
	base := int64(b)
	if off := int64(float64(base) * e.JitterFactor); off > 0 {
		// A whole number of nanoseconds in [-off, off], each equally likely.
		base += int64(t.rand()*float64(2*off+1)) - off
	}
	return min(max(time.Duration(base), e.InitialBackoff), e.MaxBackoff)
}
