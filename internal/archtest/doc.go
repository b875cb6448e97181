// Package archtest holds the import-direction test: the control plane
// (coordinator, rest, ha, ha/zookeeper) links nothing of the data path, and
// pipeline links no sink. See docs/architecture.md, "Import rules".
package archtest
