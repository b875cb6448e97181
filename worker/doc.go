// Package worker is redoflow's worker role (Flink's TaskManager): it registers in the
// ha.Registry with its slot count, follows the leader coordinator's address as it changes,
// runs the task attempts the leader assigns, and hands every completed checkpoint to the
// leader, publishing the checkpoint's output only once the leader acknowledged it.
//
// # Epochs
//
// Every command carries the leader epoch it was issued under. A worker remembers the
// newest epoch it has seen (from commands and from observing the election); it refuses
// commands of older epochs and stops the tasks of older epochs as soon as it learns of a
// newer one. A task's checkpoints go only to a leader of the task's own epoch: when the
// leader changes, or cannot be reached, Save fails and the task stops without publishing.
// When the worker's registration is lost (its ZooKeeper session may have expired and the
// leader may be moving its tasks), it stops every task before registering again.
package worker
