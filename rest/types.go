package rest

// Flink-compatible response bodies. Field names follow Flink 1.18's REST API.

// Overview is GET /overview.
type Overview struct {
	TaskManagers   int    `json:"taskmanagers"`
	SlotsTotal     int    `json:"slots-total"`
	SlotsAvailable int    `json:"slots-available"`
	JobsRunning    int    `json:"jobs-running"`
	JobsFinished   int    `json:"jobs-finished"`
	JobsCancelled  int    `json:"jobs-cancelled"`
	JobsFailed     int    `json:"jobs-failed"`
	FlinkVersion   string `json:"flink-version"`
	FlinkCommit    string `json:"flink-commit"`
}

// JobIDStatus is an entry of GET /jobs.
type JobIDStatus struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// JobOverview is an entry of GET /jobs/overview.
type JobOverview struct {
	JID              string         `json:"jid"`
	Name             string         `json:"name"`
	State            string         `json:"state"`
	StartTime        int64          `json:"start-time"`
	EndTime          int64          `json:"end-time"`
	Duration         int64          `json:"duration"`
	LastModification int64          `json:"last-modification"`
	Tasks            map[string]int `json:"tasks"`
}

// Vertex is a task of a job in GET /jobs/{id}.
type Vertex struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Parallelism int    `json:"parallelism"`
	Status      string `json:"status"`
	StartTime   int64  `json:"start-time"`
	EndTime     int64  `json:"end-time"`
	Duration    int64  `json:"duration"`
	// TaskManager is the worker running the task (redoflow's addition).
	TaskManager string `json:"taskmanager-id,omitempty"`
}

// JobDetail is GET /jobs/{id}.
type JobDetail struct {
	JID          string           `json:"jid"`
	Name         string           `json:"name"`
	IsStoppable  bool             `json:"isStoppable"`
	State        string           `json:"state"`
	StartTime    int64            `json:"start-time"`
	EndTime      int64            `json:"end-time"`
	Duration     int64            `json:"duration"`
	Now          int64            `json:"now"`
	Timestamps   map[string]int64 `json:"timestamps"`
	Vertices     []Vertex         `json:"vertices"`
	StatusCounts map[string]int   `json:"status-counts"`
	// Restarts counts restarts of the job's task (redoflow's addition).
	Restarts int `json:"restarts"`
	// Phase is "snapshot" or "stream" as of the latest checkpoint, and
	// Snapshot the initial snapshot's chunks per table while it runs
	// (redoflow's additions).
	Phase    string          `json:"phase,omitempty"`
	Snapshot []SnapshotTable `json:"snapshot,omitempty"`
}

// SnapshotTable is one table's snapshot progress in JobDetail.
type SnapshotTable struct {
	Table       string `json:"table"`
	ChunksDone  int    `json:"chunks-done"`
	ChunksTotal int    `json:"chunks-total"`
}

// CheckpointCounts is "counts" of GET /jobs/{id}/checkpoints.
type CheckpointCounts struct {
	Restored   int `json:"restored"`
	Total      int `json:"total"`
	InProgress int `json:"in_progress"`
	Completed  int `json:"completed"`
	Failed     int `json:"failed"`
}

// CheckpointInfo is one checkpoint.
type CheckpointInfo struct {
	ID                 int64  `json:"id"`
	Status             string `json:"status"`
	IsSavepoint        bool   `json:"is_savepoint"`
	TriggerTimestamp   int64  `json:"trigger_timestamp"`
	LatestAckTimestamp int64  `json:"latest_ack_timestamp"`
	StateSize          int64  `json:"state_size"`
	EndToEndDuration   int64  `json:"end_to_end_duration"`
	ExternalPath       string `json:"external_path"`
	NumSubtasks        int    `json:"num_subtasks"`
	NumAckSubtasks     int    `json:"num_acknowledged_subtasks"`
}

// RestoredInfo is "latest.restored".
type RestoredInfo struct {
	ID               int64  `json:"id"`
	RestoreTimestamp int64  `json:"restore_timestamp"`
	IsSavepoint      bool   `json:"is_savepoint"`
	ExternalPath     string `json:"external_path"`
}

// LatestCheckpoints is "latest" of GET /jobs/{id}/checkpoints.
type LatestCheckpoints struct {
	Completed *CheckpointInfo `json:"completed"`
	Savepoint *CheckpointInfo `json:"savepoint"`
	Failed    *CheckpointInfo `json:"failed"`
	Restored  *RestoredInfo   `json:"restored"`
}

// MinMaxAvg is a summary statistic.
type MinMaxAvg struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
	Avg int64 `json:"avg"`
}

// CheckpointSummary is "summary" of GET /jobs/{id}/checkpoints.
type CheckpointSummary struct {
	StateSize        MinMaxAvg `json:"state_size"`
	EndToEndDuration MinMaxAvg `json:"end_to_end_duration"`
}

// Checkpoints is GET /jobs/{id}/checkpoints.
type Checkpoints struct {
	Counts  CheckpointCounts  `json:"counts"`
	Summary CheckpointSummary `json:"summary"`
	Latest  LatestCheckpoints `json:"latest"`
	History []CheckpointInfo  `json:"history"`
}

// TaskManager is an entry of GET /taskmanagers.
type TaskManager struct {
	ID                     string `json:"id"`
	Path                   string `json:"path"`
	DataPort               int    `json:"dataPort"`
	TimeSinceLastHeartbeat int64  `json:"timeSinceLastHeartbeat"`
	SlotsNumber            int    `json:"slotsNumber"`
	FreeSlots              int    `json:"freeSlots"`
}

// SavepointStatus is GET /jobs/{id}/savepoints/{trigger-id}.
type SavepointStatus struct {
	Status    QueueStatus         `json:"status"`
	Operation *SavepointOperation `json:"operation,omitempty"`
}

// QueueStatus is IN_PROGRESS or COMPLETED.
type QueueStatus struct {
	ID string `json:"id"`
}

// SavepointOperation is the result of a completed savepoint: Location or FailureCause.
type SavepointOperation struct {
	Location     string        `json:"location,omitempty"`
	FailureCause *FailureCause `json:"failure-cause,omitempty"`
}

// FailureCause says why an operation failed.
type FailureCause struct {
	Class      string `json:"class"`
	StackTrace string `json:"stack-trace"`
}

// TriggerResponse is the answer of POST /jobs/{id}/savepoints and /stop.
type TriggerResponse struct {
	RequestID string `json:"request-id"`
}

// HAStatus is GET /ha.
type HAStatus struct {
	// Role is "leader", "standby" or "none" (no leader known).
	Role string `json:"role"`
	// ID is this coordinator's id.
	ID string `json:"id"`
	// Leader is the current leader's id and REST address ("" when none).
	LeaderID      string `json:"leader-id"`
	LeaderAddress string `json:"leader-address"`
	// Epoch of the current leadership (0 when none).
	Epoch int64 `json:"epoch"`
	// Mode is HA_MODE: NONE or zookeeper.
	Mode string `json:"mode"`
}
