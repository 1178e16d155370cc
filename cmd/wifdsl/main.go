// Command wifdsl tests whether MCP clients handle Workload Identity
// Federation (SEP-1933, the RFC 7523 JWT-bearer grant) correctly.
package main

import (
	"os"

	"github.com/wifdsl/wifdsl/internal/cli"
)

func main() { os.Exit(cli.Main()) }
