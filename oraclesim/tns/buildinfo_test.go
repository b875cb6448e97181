package tns

import (
	"os"
	"path/filepath"
	"strings"
)

// requiredVersion returns the version of module mod that the main module's
// go.mod requires (test binaries carry no dependency build info).
func requiredVersion(mod string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for i := 0; i < 10; i++ {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
				if len(f) >= 2 && f[0] == mod {
					return f[1], true
				}
			}
			return "", false
		}
		dir = filepath.Dir(dir)
	}
	return "", false
}
