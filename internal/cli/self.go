package cli

import (
	"os"
	"os/exec"
	"path/filepath"
)

// selfPath is the path that starts this program again: the name it was
// invoked by, when that resolves (so a multi-call binary keeps its
// name), else the executable itself.
func selfPath() (string, error) {
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs, nil
		}
	}
	return os.Executable()
}
