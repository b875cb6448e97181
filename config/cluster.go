package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Cluster is how the processes of a cluster trust each other, and the public REST
// API's token.
type Cluster struct {
	// Secret is the shared secret that signs the internal protocol between coordinators
	// and workers [REDOFLOW_CLUSTER_SECRET]; SecretFile names a file that holds it
	// instead [REDOFLOW_CLUSTER_SECRET_FILE]. Every process of a cluster has the same.
	Secret     Secret
	SecretFile string
	// Insecure runs the internal protocol without authentication, for development
	// only [REDOFLOW_INSECURE_CLUSTER=true].
	Insecure bool
	// InternalPort is the port of a coordinator's internal protocol, which workers
	// call [REDOFLOW_INTERNAL_PORT].
	InternalPort int
	// RestToken, when set, is the bearer token the REST API's operations (savepoint,
	// stop, cancel, resume) require [REDOFLOW_REST_TOKEN].
	RestToken Secret
}

// MinClusterSecret is the shortest cluster secret accepted, in bytes (as
// internal/wire.MinSecretLen).
const MinClusterSecret = 32

// ErrNoClusterSecret is returned by ClusterSecret when neither variable is set.
var ErrNoClusterSecret = errors.New("no cluster secret")

// cluster reads the Cluster variables into c.
func (l *loader) cluster(c *Cluster) {
	if v, ok := l.get("REDOFLOW_CLUSTER_SECRET"); ok {
		c.Secret = Secret(v)
	}
	l.path("REDOFLOW_CLUSTER_SECRET_FILE", &c.SecretFile)
	insecure, ok := l.get("REDOFLOW_INSECURE_CLUSTER")
	if ok {
		b, err := strconv.ParseBool(strings.TrimSpace(insecure))
		if err != nil {
			l.fail("REDOFLOW_INSECURE_CLUSTER", insecure, "want true or false")
		}
		c.Insecure = b
	}
	l.num("REDOFLOW_INTERNAL_PORT", &c.InternalPort, 1, 65535)
	if v, ok := l.get("REDOFLOW_REST_TOKEN"); ok {
		c.RestToken = Secret(v)
	}
	switch {
	case c.Secret != "" && c.SecretFile != "":
		l.fail("REDOFLOW_CLUSTER_SECRET_FILE", c.SecretFile, "REDOFLOW_CLUSTER_SECRET is set too: set only one of them")
	case c.Insecure && (c.Secret != "" || c.SecretFile != ""):
		l.fail("REDOFLOW_INSECURE_CLUSTER", insecure, "a cluster secret is set too: the insecure mode is for clusters without one; unset one of them")
	}
}

// ClusterSecret returns the cluster secret: REDOFLOW_CLUSTER_SECRET, or the content of
// REDOFLOW_CLUSTER_SECRET_FILE without surrounding white space. It is ErrNoClusterSecret
// when neither is set, and an *Error naming the variable (never showing the secret) when
// the file cannot be read or the secret is shorter than MinClusterSecret.
func (c Cluster) ClusterSecret() ([]byte, error) {
	name, value, secret := "REDOFLOW_CLUSTER_SECRET", "******", []byte(strings.TrimSpace(string(c.Secret)))
	if c.SecretFile != "" {
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return nil, &Error{"REDOFLOW_CLUSTER_SECRET_FILE", c.SecretFile, fmt.Sprintf("cannot read the cluster secret: %v", err)}
		}
		name, value, secret = "REDOFLOW_CLUSTER_SECRET_FILE", c.SecretFile, bytes.TrimSpace(b)
	} else if c.Secret == "" {
		return nil, fmt.Errorf("%w: set REDOFLOW_CLUSTER_SECRET, or REDOFLOW_CLUSTER_SECRET_FILE to a file holding it, "+
			"the same in every coordinator and worker of the cluster (make one with: openssl rand -hex 32); "+
			"REDOFLOW_INSECURE_CLUSTER=true runs without one, for development only: %w", ErrNoClusterSecret, ErrInvalid)
	}
	if len(secret) < MinClusterSecret {
		return nil, &Error{name, value, fmt.Sprintf("the cluster secret has %d characters, want at least %d (make one with: openssl rand -hex 32)", len(secret), MinClusterSecret)}
	}
	return secret, nil
}
