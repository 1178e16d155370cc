package authserver

import "github.com/wifdsl/wifdsl/record"

func cloneValues(v map[string][]string) map[string][]string { return record.CloneValues(v) }

func cloneJSON(m map[string]any) map[string]any { return record.CloneJSON(m) }
