package oraclesim

import "time"

// faultState holds injected faults; guarded by DB.mu.
type faultState struct {
	failN   int
	failErr error
	slowN   int
	slowFor time.Duration
}

// FailNext makes the next n driver calls (queries, executions, pings,
// commits) fail with err, or with ORA-03113 when err is nil.
func (db *DB) FailNext(n int, err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err == nil {
		err = ErrInjected
	}
	db.faults.failN, db.faults.failErr = n, err
}

// SlowNext delays each of the next n driver calls by d (the delay honours
// the call's context).
func (db *DB) SlowNext(n int, d time.Duration) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.faults.slowN, db.faults.slowFor = n, d
}

// DropConnections breaks every open driver connection: their next call
// returns driver.ErrBadConn and their open transactions are rolled back.
func (db *DB) DropConnections() {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.connEpoch++
}

// takeFault consumes one injected fault for a driver call.
func (db *DB) takeFault() (delay time.Duration, err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.faults.slowN > 0 {
		db.faults.slowN--
		delay = db.faults.slowFor
	}
	if db.faults.failN > 0 {
		db.faults.failN--
		err = db.faults.failErr
	}
	return delay, err
}
