package restart

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Strategy names a restart strategy as Flink does (restart-strategy.type).
type Strategy string

// The strategies.
const (
	// None: the first failure fails the job.
	None Strategy = "none"
	// FixedDelay: up to Attempts restarts over the job's life, Delay apart.
	FixedDelay Strategy = "fixed-delay"
	// FailureRate: restarts Delay apart, until more than MaxFailuresPerInterval
	// failures fall within one Interval.
	FailureRate Strategy = "failure-rate"
	// ExponentialDelay: restarts after a backoff that grows by BackoffMultiplier from
	// InitialBackoff to MaxBackoff, with jitter; reset once the job ran
	// ResetBackoffThreshold without failing; at most AttemptsBeforeResetBackoff restarts
	// between resets. Flink's default when checkpointing is on, and so redoflow's.
	ExponentialDelay Strategy = "exponential-delay"
)

// ParseStrategy reads a strategy in any of Flink's spellings (none, off, disable;
// fixed-delay, fixeddelay; failure-rate, failurerate; exponential-delay,
// exponentialdelay), in any case.
func ParseStrategy(s string) (Strategy, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none", "off", "disable":
		return None, true
	case "fixed-delay", "fixeddelay":
		return FixedDelay, true
	case "failure-rate", "failurerate":
		return FailureRate, true
	case "exponential-delay", "exponentialdelay":
		return ExponentialDelay, true
	}
	return "", false
}

// Config is a restart strategy and its options. The options of the other strategies are
// ignored.
type Config struct {
	Strategy         Strategy
	FixedDelay       FixedDelayConfig
	FailureRate      FailureRateConfig
	ExponentialDelay ExponentialDelayConfig
}

// FixedDelayConfig is restart-strategy.fixed-delay.*.
type FixedDelayConfig struct {
	// Attempts is how many restarts the job gets in all (attempts; Flink's default 1).
	Attempts int
	// Delay is the pause before each restart (delay; default 1 s).
	Delay time.Duration
}

// FailureRateConfig is restart-strategy.failure-rate.*.
type FailureRateConfig struct {
	// MaxFailuresPerInterval is how many restarts one Interval may hold
	// (max-failures-per-interval; default 1).
	MaxFailuresPerInterval int
	// Interval is the window the failures are counted in (failure-rate-interval;
	// default 1 min).
	Interval time.Duration
	// Delay is the pause before each restart (delay; default 1 s).
	Delay time.Duration
}

// ExponentialDelayConfig is restart-strategy.exponential-delay.*.
type ExponentialDelayConfig struct {
	// InitialBackoff is the first pause (initial-backoff; default 1 s).
	InitialBackoff time.Duration
	// MaxBackoff caps the pause (max-backoff; default 1 min).
	MaxBackoff time.Duration
	// BackoffMultiplier grows the pause after each failure (backoff-multiplier;
	// default 1.5).
	BackoffMultiplier float64
	// ResetBackoffThreshold: a failure this long after the last restart's start resets
	// the pause and the attempt count (reset-backoff-threshold; default 1 h).
	ResetBackoffThreshold time.Duration
	// JitterFactor is the share of the pause added or taken away at random
	// (jitter-factor; default 0.1).
	JitterFactor float64
	// AttemptsBeforeResetBackoff caps the restarts between two resets
	// (attempts-before-reset-backoff); 0 is Flink's default, no limit.
	AttemptsBeforeResetBackoff int
}

// DefaultConfig is Flink's default for a job with checkpointing (redoflow always
// checkpoints): exponential-delay with its defaults. Each strategy's options hold
// Flink's defaults too.
func DefaultConfig() Config {
	return Config{
		Strategy:    ExponentialDelay,
		FixedDelay:  FixedDelayConfig{Attempts: 1, Delay: time.Second},
		FailureRate: FailureRateConfig{MaxFailuresPerInterval: 1, Interval: time.Minute, Delay: time.Second},
		ExponentialDelay: ExponentialDelayConfig{InitialBackoff: time.Second, MaxBackoff: time.Minute, BackoffMultiplier: 1.5,
			ResetBackoffThreshold: time.Hour, JitterFactor: 0.1},
	}
}

// Flink's option keys.
const (
	KeyStrategy                   = "restart-strategy.type"
	KeyFixedDelayAttempts         = "restart-strategy.fixed-delay.attempts"
	KeyFixedDelayDelay            = "restart-strategy.fixed-delay.delay"
	KeyFailureRateMaxFailures     = "restart-strategy.failure-rate.max-failures-per-interval"
	KeyFailureRateInterval        = "restart-strategy.failure-rate.failure-rate-interval"
	KeyFailureRateDelay           = "restart-strategy.failure-rate.delay"
	KeyExponentialInitialBackoff  = "restart-strategy.exponential-delay.initial-backoff"
	KeyExponentialMaxBackoff      = "restart-strategy.exponential-delay.max-backoff"
	KeyExponentialMultiplier      = "restart-strategy.exponential-delay.backoff-multiplier"
	KeyExponentialResetThreshold  = "restart-strategy.exponential-delay.reset-backoff-threshold"
	KeyExponentialJitter          = "restart-strategy.exponential-delay.jitter-factor"
	KeyExponentialAttemptsToReset = "restart-strategy.exponential-delay.attempts-before-reset-backoff"
)

// Error is an option that cannot work, named by its Flink key.
type Error struct {
	Key, Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("restart: %s: %s", e.Key, e.Reason) }

// Validate reports the first option of the chosen strategy that cannot work, as an
// *Error.
func (c Config) Validate() error {
	bad := func(key, f string, a ...any) error { return &Error{Key: key, Reason: fmt.Sprintf(f, a...)} }
	switch c.Strategy {
	case None:
	case FixedDelay:
		switch f := c.FixedDelay; {
		case f.Attempts < 0:
			return bad(KeyFixedDelayAttempts, "%d: want 0 or more restarts", f.Attempts)
		case f.Delay < 0:
			return bad(KeyFixedDelayDelay, "%s: want 0 or more", f.Delay)
		}
	case FailureRate:
		switch f := c.FailureRate; {
		case f.MaxFailuresPerInterval < 1:
			return bad(KeyFailureRateMaxFailures, "%d: want at least 1", f.MaxFailuresPerInterval)
		case f.Interval <= 0:
			return bad(KeyFailureRateInterval, "%s: want a positive duration", f.Interval)
		case f.Delay < 0:
			return bad(KeyFailureRateDelay, "%s: want 0 or more", f.Delay)
		}
	case ExponentialDelay:
		return c.ExponentialDelay.validate(bad)
	default:
		return bad(KeyStrategy, "%q: want none, fixed-delay, failure-rate or exponential-delay", c.Strategy)
	}
	return nil
}

func (e ExponentialDelayConfig) validate(bad func(key, f string, a ...any) error) error {
	switch {
	case e.InitialBackoff < time.Millisecond:
		return bad(KeyExponentialInitialBackoff, "%s: want at least 1ms", e.InitialBackoff)
	case e.MaxBackoff < e.InitialBackoff:
		return bad(KeyExponentialMaxBackoff, "%s is below the initial backoff %s", e.MaxBackoff, e.InitialBackoff)
	case !(e.BackoffMultiplier >= 1) || e.BackoffMultiplier > 1000:
		return bad(KeyExponentialMultiplier, "%v: want a number from 1 to 1000", e.BackoffMultiplier)
	case e.ResetBackoffThreshold < time.Millisecond:
		return bad(KeyExponentialResetThreshold, "%s: want at least 1ms", e.ResetBackoffThreshold)
	case !(e.JitterFactor >= 0 && e.JitterFactor <= 1):
		return bad(KeyExponentialJitter, "%v: want a number from 0 to 1", e.JitterFactor)
	case e.AttemptsBeforeResetBackoff < 0:
		return bad(KeyExponentialAttemptsToReset, "%d: want at least 1 (or unset: no limit)", e.AttemptsBeforeResetBackoff)
	}
	return nil
}

// String describes the strategy and its options, for logs and the FAILED cause.
func (c Config) String() string {
	switch c.Strategy {
	case FixedDelay:
		return fmt.Sprintf("fixed-delay(attempts=%d, delay=%s)", c.FixedDelay.Attempts, c.FixedDelay.Delay)
	case FailureRate:
		f := c.FailureRate
		return fmt.Sprintf("failure-rate(max-failures-per-interval=%d, failure-rate-interval=%s, delay=%s)", f.MaxFailuresPerInterval, f.Interval, f.Delay)
	case ExponentialDelay:
		e := c.ExponentialDelay
		attempts := "infinite"
		if e.AttemptsBeforeResetBackoff > 0 {
			attempts = strconv.Itoa(e.AttemptsBeforeResetBackoff)
		}
		return fmt.Sprintf("exponential-delay(initial-backoff=%s, max-backoff=%s, backoff-multiplier=%v, reset-backoff-threshold=%s, jitter-factor=%v, attempts-before-reset-backoff=%s)",
			e.InitialBackoff, e.MaxBackoff, e.BackoffMultiplier, e.ResetBackoffThreshold, e.JitterFactor, attempts)
	}
	return string(c.Strategy)
}

// ParseDuration reads a duration as Flink's configuration writes them: a number and a
// unit, with or without a space ("10 s", "1 min", "500ms", "1 h", "2 d"), a bare number
// of milliseconds, or a Go duration ("1m30s").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	if i == 0 {
		return 0, errors.New("want a number and a unit, such as 10 s or 1 min")
	}
	num, unit := s, ""
	if i > 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, errors.New("want a number and a unit, such as 10 s or 1 min")
	}
	u, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("unit %q: want ms, s, min, h or d", unit)
	}
	if n > int64(1<<63-1)/int64(u) {
		return 0, errors.New("too long")
	}
	return time.Duration(n) * u, nil
}

// units are Flink's TimeUtils units; no unit is milliseconds.
var units = map[string]time.Duration{
	"": time.Millisecond, "ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"us": time.Microsecond, "µs": time.Microsecond, "micro": time.Microsecond, "micros": time.Microsecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"ns": time.Nanosecond, "nano": time.Nanosecond, "nanos": time.Nanosecond, "nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}
