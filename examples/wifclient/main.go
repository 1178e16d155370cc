package main

import (
	"os"

	"github.com/wifdsl/wifdsl/internal/refclient"
)

func main() { os.Exit(refclient.Main(os.Args[1:], os.Stdout, os.Stderr)) }
