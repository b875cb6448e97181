// Package archtest holds the import-direction test: the control plane
// (coordinator, rest, ha, ha/zookeeper) links nothing of the data path,
// pipeline links no sink, the SQL_REDO parser (logminer/redo) links no
// database, and the Oracle type model (oracletype) links neither a database
// nor the packages that use it. See docs/architecture.md, "Import rules".
package archtest
