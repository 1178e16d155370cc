package mcpserver

import (
	"net/http"

	"github.com/wifdsl/wifdsl/record"
)

func schemeOf(r *http.Request) string { return record.SchemeOf(r) }
