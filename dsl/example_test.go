package dsl_test

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/dsl"
)

// Compile turns scenario source into a plan: each case with its servers,
// assertions, client context and checks.
func ExampleCompile() {
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
	p := dsl.NewParser()
	f, diags := p.ParseSource("demo.hcl", []byte(src))
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	plan, diags := dsl.Compile([]*hcl.File{f})
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	for _, c := range plan.Cases() {
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
