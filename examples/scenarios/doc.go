// Package scenarios holds example scenario files that add checks the
// built-in suite lacks, written only in HCL. Its test proves each check
// both ways: the reference client passes it, a broken variant trips it.
package scenarios
