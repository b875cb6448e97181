package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/config"
)

func TestClusterVariables(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.InternalPort != 6123 || c.Cluster.Insecure || c.Cluster.Secret != "" || c.Cluster.RestToken != "" {
		t.Errorf("defaults %+v", c.Cluster)
	}
	if _, err := c.Cluster.ClusterSecret(); !errors.Is(err, config.ErrNoClusterSecret) || !errors.Is(err, config.ErrInvalid) ||
		!strings.Contains(err.Error(), "REDOFLOW_CLUSTER_SECRET_FILE") || !strings.Contains(err.Error(), "REDOFLOW_INSECURE_CLUSTER") {
		t.Errorf("no secret: %v", err)
	}

	secret := strings.Repeat("s", 40)
	c, err = config.Load(env(map[string]string{"REDOFLOW_CLUSTER_SECRET": secret, "REDOFLOW_INTERNAL_PORT": "7123", "REDOFLOW_REST_TOKEN": "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Cluster.ClusterSecret(); err != nil || string(got) != secret || c.Cluster.InternalPort != 7123 || c.Cluster.RestToken != "tok" {
		t.Errorf("secret %q %v, %+v", got, err, c.Cluster)
	}
	if s := c.Cluster.Secret.String() + c.Cluster.RestToken.String(); strings.Contains(s, "sss") || strings.Contains(s, "tok") {
		t.Errorf("the secrets print: %s", s)
	}

	// From a file, as written by openssl rand -hex 32 > file (a trailing newline).
	file := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(file, []byte(secret+"\n"), 0o600)
	c, err = config.Load(env(map[string]string{"REDOFLOW_CLUSTER_SECRET_FILE": "file://" + file}))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Cluster.ClusterSecret(); err != nil || string(got) != secret {
		t.Errorf("secret file: %q %v", got, err)
	}

	c, err = config.Load(env(map[string]string{"REDOFLOW_INSECURE_CLUSTER": "true"}))
	if err != nil || !c.Cluster.Insecure {
		t.Errorf("insecure: %+v %v", c.Cluster, err)
	}
}

func TestBadClusterVariablesNameVariableAndValue(t *testing.T) {
	secret := strings.Repeat("s", 40)
	for name, tt := range map[string]struct {
		vars map[string]string
		want string
	}{
		"port":            {map[string]string{"REDOFLOW_INTERNAL_PORT": "70000"}, `REDOFLOW_INTERNAL_PORT="70000"`},
		"insecure":        {map[string]string{"REDOFLOW_INSECURE_CLUSTER": "sure"}, `REDOFLOW_INSECURE_CLUSTER="sure"`},
		"both":            {map[string]string{"REDOFLOW_CLUSTER_SECRET": secret, "REDOFLOW_CLUSTER_SECRET_FILE": "/s"}, `REDOFLOW_CLUSTER_SECRET_FILE="/s"`},
		"insecure+secret": {map[string]string{"REDOFLOW_CLUSTER_SECRET": secret, "REDOFLOW_INSECURE_CLUSTER": "1"}, `REDOFLOW_INSECURE_CLUSTER="1"`},
		"file url":        {map[string]string{"REDOFLOW_CLUSTER_SECRET_FILE": "s3://b/s"}, `REDOFLOW_CLUSTER_SECRET_FILE="s3://b/s"`},
	} {
		_, err := config.Load(env(tt.vars))
		if err == nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tt.want)
		}
		if strings.Contains(errText(err), secret) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}

	// Too short, from the variable or a file; a file that cannot be read.
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("0123456789\n"), 0o600)
	for name, tt := range map[string]struct {
		vars map[string]string
		want string
	}{
		"short":      {map[string]string{"REDOFLOW_CLUSTER_SECRET": "0123456789"}, `REDOFLOW_CLUSTER_SECRET="******": the cluster secret has 10 characters, want at least 32`},
		"short file": {map[string]string{"REDOFLOW_CLUSTER_SECRET_FILE": short}, `REDOFLOW_CLUSTER_SECRET_FILE="` + short + `": the cluster secret has 10 characters`},
		"no file":    {map[string]string{"REDOFLOW_CLUSTER_SECRET_FILE": filepath.Join(dir, "none")}, `REDOFLOW_CLUSTER_SECRET_FILE="` + filepath.Join(dir, "none") + `": cannot read`},
	} {
		c, err := config.Load(env(tt.vars))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = c.Cluster.ClusterSecret()
		var ce *config.Error
		if !errors.As(err, &ce) || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %s", name, err, tt.want)
		}
		if strings.Contains(errText(err), "0123456789") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
