package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redoflow/redoflow/restart"
)

// A restart option is read from the variable named as the seed names Flink's options:
// the key in upper case, '.' and '-' as '_' (restart-strategy.fixed-delay.attempts is
// RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS). The strategy itself is RESTART_STRATEGY
// (Flink's restart-strategy, restart-strategy.type since Flink 1.17). Values take
// Flink's spellings: strategy names and aliases, durations such as "10 s" or "1 min",
// "infinite" attempts.

// envName is the variable name of Flink key k.
func envName(k string) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(k))
}

// restartLoader reads the restart options and remembers the variable and value of each
// key set, so that an error names them.
type restartLoader struct {
	lookup func(string) (string, bool)
	set    map[string][2]string // Flink key -> variable, value
	errs   []error
}

// get returns the value of key's variable when it is set and not empty.
func (l *restartLoader) get(key string) (string, bool) {
	name := envName(key)
	if key == restart.KeyStrategy {
		name = "RESTART_STRATEGY"
	}
	if v, ok := l.lookup(name); ok && strings.TrimSpace(v) != "" {
		l.set[key] = [2]string{name, v}
		return strings.TrimSpace(v), true
	}
	return "", false
}

func (l *restartLoader) bad(key, reason string) {
	s := l.set[key]
	l.errs = append(l.errs, &Error{s[0], s[1], reason})
}

// integer reads a whole number of at least min; with infinite, "infinite" (Flink's
// spelling of no limit) reads as infinite[0].
func (l *restartLoader) integer(key string, dst *int, min int, infinite ...int) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	if strings.EqualFold(v, "infinite") && len(infinite) > 0 {
		*dst = infinite[0]
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > math.MaxInt32 {
		l.bad(key, fmt.Sprintf("want a whole number from %d to %d", min, math.MaxInt32))
		return
	}
	*dst = n
}

func (l *restartLoader) duration(key string, dst *time.Duration) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	d, err := restart.ParseDuration(v)
	if err != nil {
		l.bad(key, fmt.Sprintf("%v (Flink's notation such as 10 s, 1 min, 1 h, or milliseconds)", err))
		return
	}
	*dst = d
}

func (l *restartLoader) number(key string, dst *float64) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		l.bad(key, "want a number such as 1.5")
		return
	}
	*dst = f
}

// loadRestart reads the restart strategy and its options over c's.
func loadRestart(lookup func(string) (string, bool), c *restart.Config) []error {
	l := &restartLoader{lookup: lookup, set: map[string][2]string{}}
	if v, ok := l.get(restart.KeyStrategy); ok {
		s, ok := restart.ParseStrategy(v)
		if !ok {
			l.bad(restart.KeyStrategy, "want none, fixed-delay, failure-rate or exponential-delay (Flink's names; off, fixeddelay, failurerate and exponentialdelay too)")
		}
		c.Strategy = s
	}
	f, r, e := &c.FixedDelay, &c.FailureRate, &c.ExponentialDelay
	l.integer(restart.KeyFixedDelayAttempts, &f.Attempts, 0, math.MaxInt32)
	l.duration(restart.KeyFixedDelayDelay, &f.Delay)
	l.integer(restart.KeyFailureRateMaxFailures, &r.MaxFailuresPerInterval, 1)
	l.duration(restart.KeyFailureRateInterval, &r.Interval)
	l.duration(restart.KeyFailureRateDelay, &r.Delay)
	l.duration(restart.KeyExponentialInitialBackoff, &e.InitialBackoff)
	l.duration(restart.KeyExponentialMaxBackoff, &e.MaxBackoff)
	l.number(restart.KeyExponentialMultiplier, &e.BackoffMultiplier)
	l.duration(restart.KeyExponentialResetThreshold, &e.ResetBackoffThreshold)
	l.number(restart.KeyExponentialJitter, &e.JitterFactor)
	l.integer(restart.KeyExponentialAttemptsToReset, &e.AttemptsBeforeResetBackoff, 1, 0) // infinite: 0, no limit
	if len(l.errs) > 0 {
		return l.errs
	}
	// Options that are fine alone but not together (a maximum backoff below the initial
	// one): name the variable of the key at fault, as set, or as its default.
	var re *restart.Error
	if err := c.Validate(); errors.As(err, &re) {
		if _, ok := l.set[re.Key]; !ok {
			l.set[re.Key] = [2]string{envName(re.Key), ""} // its default
		}
		l.bad(re.Key, re.Reason)
	}
	return l.errs
}
