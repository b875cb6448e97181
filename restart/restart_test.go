package restart_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/redoflow/redoflow/restart"
)

// The clock is fake: failures happen at the instants the tests choose, from t0 on.
var t0 = time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

type step struct {
	at   time.Duration // failure time since t0
	ok   bool          // the strategy allows a restart
	wait time.Duration // and the task may start again this long after the failure
}

func run(t *testing.T, cfg restart.Config, rand func() float64, steps []step) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tr := restart.New(cfg, rand)
	for i, s := range steps {
		next, ok := tr.Failure(at(s.at))
		if ok != s.ok || ok && next.Sub(at(s.at)) != s.wait {
			t.Fatalf("%s: failure %d at +%v: restart %v after %v; want %v after %v", cfg, i+1, s.at, ok, next.Sub(at(s.at)), s.ok, s.wait)
		}
	}
}

func TestNone(t *testing.T) {
	run(t, restart.Config{Strategy: restart.None}, nil, []step{{at: 0, ok: false}})
}

// fixed-delay: Attempts restarts over the job's life, however far apart the failures are.
func TestFixedDelay(t *testing.T) {
	cfg := restart.DefaultConfig()
	cfg.Strategy = restart.FixedDelay
	cfg.FixedDelay = restart.FixedDelayConfig{Attempts: 3, Delay: 10 * time.Second}
	run(t, cfg, nil, []step{
		{0, true, 10 * time.Second},
		{time.Minute, true, 10 * time.Second},
		{48 * time.Hour, true, 10 * time.Second},
		{49 * time.Hour, false, 0},
	})
	cfg.FixedDelay.Attempts = 0
	run(t, cfg, nil, []step{{0, false, 0}})
	// Flink's defaults: one restart, 1 s later.
	cfg.FixedDelay = restart.DefaultConfig().FixedDelay
	run(t, cfg, nil, []step{{0, true, time.Second}, {time.Hour, false, 0}})
}

// failure-rate: the job fails when more than MaxFailuresPerInterval failures fall within
// one interval, the failure at hand included.
func TestFailureRate(t *testing.T) {
	cfg := restart.DefaultConfig()
	cfg.Strategy = restart.FailureRate
	cfg.FailureRate = restart.FailureRateConfig{MaxFailuresPerInterval: 3, Interval: 10 * time.Minute, Delay: 10 * time.Second}
	run(t, cfg, nil, []step{
		{0, true, 10 * time.Second},
		{time.Minute, true, 10 * time.Second},
		{2 * time.Minute, true, 10 * time.Second},
		// 4 failures within 10 minutes (0, 1, 2, 10): the job fails.
		{10 * time.Minute, false, 0},
	})
	run(t, cfg, nil, []step{
		{0, true, 10 * time.Second},
		{time.Minute, true, 10 * time.Second},
		{2 * time.Minute, true, 10 * time.Second},
		// 10 min and 1 ns after the first: only 3 within the interval before it.
		{10*time.Minute + 1, true, 10 * time.Second},
		{12*time.Minute + 1, true, 10 * time.Second}, // 1m is 11m+1ns before
		{13 * time.Minute, true, 10 * time.Second},   // 2m is 11m before
		// 10m+1ns, 12m+1ns, 13m and this one: 4 within 10 minutes.
		{14 * time.Minute, false, 0},
	})
	// Flink's defaults: 1 failure per minute.
	cfg.FailureRate = restart.DefaultConfig().FailureRate
	run(t, cfg, nil, []step{{0, true, time.Second}, {2 * time.Minute, true, time.Second}, {2*time.Minute + 59*time.Second, false, 0}})
}

// exponential-delay without jitter: 1 s, then ×2 up to 10 s (Flink's documented example);
// a failure an hour after the pending restart's start resets the backoff.
func TestExponentialDelay(t *testing.T) {
	cfg := restart.DefaultConfig()
	cfg.ExponentialDelay = restart.ExponentialDelayConfig{InitialBackoff: time.Second, MaxBackoff: 10 * time.Second,
		BackoffMultiplier: 2, ResetBackoffThreshold: time.Hour, JitterFactor: 0}
	s := time.Second
	run(t, cfg, nil, []step{
		{0, true, s},                // restart at 1 s
		{2 * s, true, 2 * s},        // at 4 s
		{5 * s, true, 4 * s},        // at 9 s
		{10 * s, true, 8 * s},       // at 18 s
		{20 * s, true, 10 * s},      // capped: at 30 s
		{25 * s, true, 5 * s},       // during the pending restart: joins it (at 30 s), not counted
		{31 * s, true, 10 * s},      // at 41 s
		{41*s + time.Hour, true, s}, // an hour after the restart at 41 s: reset
	})
	// attempts-before-reset-backoff bounds the restarts between resets.
	cfg.ExponentialDelay.AttemptsBeforeResetBackoff = 2
	run(t, cfg, nil, []step{
		{0, true, s},
		{2 * s, true, 2 * s},
		{10 * s, false, 0},
	})
	run(t, cfg, nil, []step{
		{0, true, s},
		{2 * s, true, 2 * s},
		{4*s + time.Hour, true, s}, // reset: the count starts over
		{4*s + time.Hour + 2*s, true, 2 * s},
		{4*s + time.Hour + 5*s, false, 0},
	})
}

// The jitter adds or takes away up to JitterFactor of the backoff, evenly: the lowest and
// highest draws give backoff·(1∓jitter), and never less than the initial backoff nor more
// than the maximum.
func TestExponentialDelayJitter(t *testing.T) {
	cfg := restart.DefaultConfig() // Flink's: 1 s, ×1.5, max 1 min, jitter 0.1
	s := time.Second
	low := func() float64 { return 0 }
	high := func() float64 { return math.Nextafter(1, 0) }
	run(t, cfg, low, []step{{0, true, s}, {2 * s, true, 1350 * time.Millisecond}})                        // 1.5 s - 10%
	run(t, cfg, high, []step{{0, true, 1100 * time.Millisecond}, {2 * s, true, 1650 * time.Millisecond}}) // +10%
	// At the cap, jitter cannot go above the maximum backoff.
	var steps []step
	now := time.Duration(0)
	for range 12 { // 1.5^11 s > 60 s
		steps = append(steps, step{now, true, 0})
		now += 2 * time.Minute
	}
	tr := restart.New(cfg, high)
	var last time.Duration
	for _, st := range steps {
		next, ok := tr.Failure(at(st.at))
		if !ok {
			t.Fatal("exponential-delay without an attempts limit refused a restart")
		}
		last = next.Sub(at(st.at))
	}
	if last != time.Minute {
		t.Fatalf("backoff after 12 failures = %v, want the maximum 1m0s", last)
	}
}

func TestDefaultsAreFlinks(t *testing.T) {
	c := restart.DefaultConfig()
	want := "exponential-delay(initial-backoff=1s, max-backoff=1m0s, backoff-multiplier=1.5, reset-backoff-threshold=1h0m0s, jitter-factor=0.1, attempts-before-reset-backoff=infinite)"
	if c.String() != want || c.Validate() != nil {
		t.Fatalf("default %s (%v), want %s", c, c.Validate(), want)
	}
	if c.FixedDelay != (restart.FixedDelayConfig{Attempts: 1, Delay: time.Second}) ||
		c.FailureRate != (restart.FailureRateConfig{MaxFailuresPerInterval: 1, Interval: time.Minute, Delay: time.Second}) {
		t.Fatalf("defaults %+v", c)
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		edit func(*restart.Config)
		key  string
	}{
		{func(c *restart.Config) { c.Strategy = "sometimes" }, restart.KeyStrategy},
		{func(c *restart.Config) { c.Strategy, c.FixedDelay.Attempts = restart.FixedDelay, -1 }, restart.KeyFixedDelayAttempts},
		{func(c *restart.Config) { c.Strategy, c.FailureRate.MaxFailuresPerInterval = restart.FailureRate, 0 }, restart.KeyFailureRateMaxFailures},
		{func(c *restart.Config) { c.Strategy, c.FailureRate.Interval = restart.FailureRate, 0 }, restart.KeyFailureRateInterval},
		{func(c *restart.Config) { c.ExponentialDelay.MaxBackoff = time.Millisecond }, restart.KeyExponentialMaxBackoff},
		{func(c *restart.Config) { c.ExponentialDelay.BackoffMultiplier = 0.5 }, restart.KeyExponentialMultiplier},
		{func(c *restart.Config) { c.ExponentialDelay.JitterFactor = 1.5 }, restart.KeyExponentialJitter},
		{func(c *restart.Config) { c.ExponentialDelay.InitialBackoff = 0 }, restart.KeyExponentialInitialBackoff},
	} {
		c := restart.DefaultConfig()
		tt.edit(&c)
		var re *restart.Error
		if err := c.Validate(); !errors.As(err, &re) || re.Key != tt.key {
			t.Errorf("%+v: Validate = %v, want an error naming %s", c, err, tt.key)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]restart.Strategy{"none": restart.None, "OFF": restart.None, "disable": restart.None,
		"fixed-delay": restart.FixedDelay, "fixeddelay": restart.FixedDelay, "failure-rate": restart.FailureRate,
		"failurerate": restart.FailureRate, "Exponential-Delay": restart.ExponentialDelay, "exponentialdelay": restart.ExponentialDelay} {
		if got, ok := restart.ParseStrategy(in); !ok || got != want {
			t.Errorf("ParseStrategy(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := restart.ParseStrategy("always"); ok {
		t.Error(`ParseStrategy("always") accepted`)
	}
	for in, want := range map[string]time.Duration{"10 s": 10 * time.Second, "1 min": time.Minute, "1min": time.Minute,
		"500": 500 * time.Millisecond, "1 h": time.Hour, "2 d": 48 * time.Hour, "1m30s": 90 * time.Second, "250ms": 250 * time.Millisecond} {
		if got, err := restart.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "10 fortnights", "-1 s", "99999999999999999 d"} {
		if d, err := restart.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}
