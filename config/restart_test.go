package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/config"
	"github.com/redoflow/redoflow/failure"
	"github.com/redoflow/redoflow/restart"
)

// The restart strategy comes from RESTART_STRATEGY and the variables named after
// Flink's keys, with Flink's value spellings.
func TestRestartStrategy(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil || c.Restart.String() != restart.DefaultConfig().String() {
		t.Fatalf("default %s, %v; want Flink's exponential-delay", c.Restart, err)
	}
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"fixed-delay": {map[string]string{"RESTART_STRATEGY": "fixed-delay", "RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS": "3",
			"RESTART_STRATEGY_FIXED_DELAY_DELAY": "10 s"}, "fixed-delay(attempts=3, delay=10s)"},
		"failure-rate": {map[string]string{"RESTART_STRATEGY": "failurerate", "RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL": "3",
			"RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL": "5 min", "RESTART_STRATEGY_FAILURE_RATE_DELAY": "500"},
			"failure-rate(max-failures-per-interval=3, failure-rate-interval=5m0s, delay=500ms)"},
		"exponential": {map[string]string{"RESTART_STRATEGY": "Exponential-Delay", "RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF": "2 s",
			"RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF": "2 min", "RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER": "2",
			"RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD": "30 min", "RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR": "0",
			"RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF": "5"},
			"exponential-delay(initial-backoff=2s, max-backoff=2m0s, backoff-multiplier=2, reset-backoff-threshold=30m0s, jitter-factor=0, attempts-before-reset-backoff=5)"},
		"none": {map[string]string{"RESTART_STRATEGY": "off"}, "none"},
	} {
		c, err := config.Load(env(tt.env))
		if err != nil || c.Restart.String() != tt.want {
			t.Errorf("%s: %s, %v; want %s", name, c.Restart, err, tt.want)
		}
	}
	c, _ = config.Load(env(map[string]string{"RESTART_STRATEGY": "fixed-delay", "RESTART_STRATEGY_FIXED_DELAY_DELAY": "1m30s"}))
	if c.Restart.FixedDelay != (restart.FixedDelayConfig{Attempts: 1, Delay: 90 * time.Second}) {
		t.Errorf("fixed-delay with Flink's default attempts: %+v", c.Restart.FixedDelay)
	}
}

// A bad restart setting is an error naming the variable and its value, of the
// configuration class (exit 2), fatal to a task.
func TestRestartStrategyBadValues(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"RESTART_STRATEGY": "sometimes"}, `RESTART_STRATEGY="sometimes"`},
		{map[string]string{"RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS": "-1"}, `RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS="-1"`},
		{map[string]string{"RESTART_STRATEGY_FIXED_DELAY_DELAY": "10 fortnights"}, `RESTART_STRATEGY_FIXED_DELAY_DELAY="10 fortnights"`},
		{map[string]string{"RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL": "0"}, `RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL="0"`},
		{map[string]string{"RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR": "1.5"}, `RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR="1.5"`},
		{map[string]string{"RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER": "NaN"}, `RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER="NaN"`},
		// Fine alone, not together: the variable of the option at fault is named.
		{map[string]string{"RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF": "5 min"}, `RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF=""`},
	} {
		_, err := config.Load(env(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, config.ErrInvalid) || !failure.IsFatal(err) {
			t.Errorf("%v: %v; want an invalid-configuration error naming %s", tt.env, err, tt.want)
		}
	}
}
