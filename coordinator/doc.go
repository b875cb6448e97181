// Package coordinator is redoflow's coordinator role (Flink's JobManager): it campaigns for
// leadership through an ha.Elector; the leader schedules the job's task onto a free slot of
// a registered worker (ha.Registry), stores the checkpoints workers hand over in
// CHECKPOINT_DIR and records the latest one's pointer with a fenced write, and restarts the
// task from that checkpoint when it fails, when its worker is lost, and after a failover.
// Every coordinator serves the REST API (package rest); a standby forwards it to the leader.
//
// # Exactly once across failovers
//
// A worker publishes a checkpoint's output only after the leader acknowledged it, and the
// leader acknowledges only (1) under a leadership that still holds (Leadership.FencedSet of
// the pointer), (2) for its own epoch and (3) for the task attempt it currently runs. A new
// leader first tells every registered worker its epoch and waits until each has stopped the
// tasks of older epochs (or has left the registry) before it assigns the task again, so two
// attempts never write the same output files at once. Checkpoint metadata goes to
// CHECKPOINT_DIR/<job>/epoch-<N>/<job>/chk-<id>: a deposed leader finishing a late write
// cannot overwrite a checkpoint of its successor.
//
// # Noticing a task that is gone
//
// A worker lost with its ZooKeeper session leaves the registry: its task restarts on a free
// slot from the latest checkpoint. A task that ends on its own is reported by its worker
// (FINISHED: the job is done, recorded with a fenced write; FAILED: with its error and the
// error's class). A task its worker stopped without either (its registration lapsed for a
// moment without the session expiring) is found missing by the leader's poll of the
// worker's status, twice in a row.
//
// # Failures, restarts and FAILED
//
// The job's lifecycle is one value (jobState, jobstate.go): CREATED, RUNNING, RESTARTING,
// FAILED, CANCELED, FINISHED, with explicit transitions. A failure of the running attempt
// (a reported error, a worker that could not build the task, a lost worker, a task gone)
// goes to the restart strategy (Config.Restart, Flink's strategies, package restart),
// which says when the task starts again; a fatal error (package failure: a purged
// archive log, a bad setting, a missing table) or an exhausted strategy moves the job to
// FAILED with its cause instead. FAILED is recorded with a fenced write, cause and
// exception history included, so a new leader keeps it; GET /jobs/{id}/exceptions shows
// it in Flink's shape. A job leaves FAILED only by a resume (POST /jobs/{id}/resume),
// from the latest checkpoint or a savepoint.
//
// A latest checkpoint whose metadata does not read falls back to the previous completed
// one, which the pointer records (latest.go); with none readable the job FAILED.
//
// # Scaling
//
// The job is one task (one LogMiner reader, in commit order), so adding workers adds
// spare slots for failover. A worker stopped gracefully (SIGTERM) takes a last checkpoint,
// stops its task and only then leaves the registry: the task moves at that checkpoint,
// with nothing to replay.
package coordinator
