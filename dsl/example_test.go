package dsl_test

import (
	"fmt"

	"github.com/wifdsl/wifdsl/dsl"
)

// Load turns scenario source into a plan: each case with its servers,
// assertions, client context and checks.
func ExampleLoad() {
	src := `
requirement "no-retry" {
  level = SHOULD
  text  = "After a non-recoverable error the client does not retry."
}
scenario "demo" {
  auth_server {
    reject "always" {
      when  = true
      error = "invalid_request"
    }
  }
  case "invalid-request" {
    check "wif-no-retry" {
      verifies  = requirement.no-retry
      condition = token_request_count == 1
    }
  }
}`
	l, diags := dsl.Load(dsl.Source{Inline: []dsl.InlineFile{{Name: "demo.hcl", Bytes: []byte(src)}}}, dsl.Options{})
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	for _, c := range l.Plan.Cases() {
		fmt.Println(c.ID())
		for _, s := range c.Servers {
			fmt.Println("  server", s.Name, s.Kind)
		}
		for _, ch := range c.Checks {
			fmt.Println("  check", ch.ID)
		}
	}
	// Output:
	// demo/invalid-request
	//   server auth authorization_server
	//   server mcp mcp_server
	//   check wif-no-retry
}
