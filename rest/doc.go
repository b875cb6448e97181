// Package rest serves redoflow's REST API on REST_PORT with the paths and JSON field names
// of Flink's REST API, so that the scripts written for the Flink deployment (curl piped
// into python3) run unchanged: GET /overview, /jobs, /jobs/overview, /jobs/{id},
// /jobs/{id}/checkpoints, /taskmanagers; POST /jobs/{id}/savepoints, GET
// /jobs/{id}/savepoints/{trigger-id}; PATCH /jobs/{id} (also ?mode=cancel) to cancel;
// POST /jobs/{id}/stop for stop-with-savepoint. GET /ha says who leads. Jobs are defined
// by configuration, so instead of re-submitting a jar, POST /jobs/{id}/resume runs a
// cancelled or finished job again, from {"savepointPath": "..."} or its latest checkpoint.
//
// A standby coordinator forwards every API call to the leader and says so in the
// X-Redoflow-Forwarded-To response header; without a leader it answers 503. Errors are
// JSON: {"errors": ["..."], "code": "..."} with a stable code.
package rest
