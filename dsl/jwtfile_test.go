package dsl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl/dsl"
	"github.com/wifdsl/wifdsl/engine"
)

func TestTLSAndJWTFileCompile(t *testing.T) {
	plan := compileSources(t, dsl.Options{}, `
scenario "s" {
  assertion "workload" {}
  assertion "other" {}
  jwt_file {
    assertion = "workload"
  }
  check "c" {
    condition = true
  }
  case "plain" {}
  case "secure" {
    tls = true
    auth_server {
      plain_token_endpoint = true
    }
    jwt_file {
      rewrite_every = "250ms"
    }
  }
}`, `
scenario "s" {
  tls = false
}`)
	cases := plan.Cases()
	plain, secure := cases[0], cases[1]
	if plain.TLS || authSpec(plain).PlainTokenEndpoint {
		t.Errorf("plain case: TLS %v, plain token endpoint %v", plain.TLS, authSpec(plain).PlainTokenEndpoint)
	}
	if *plain.JWTFile != (engine.JWTFileSpec{Assertion: "workload"}) {
		t.Errorf("plain case JWT file %+v", plain.JWTFile)
	}
	if !secure.TLS || !authSpec(secure).PlainTokenEndpoint {
		t.Errorf("secure case: TLS %v, plain token endpoint %v", secure.TLS, authSpec(secure).PlainTokenEndpoint)
	}
	if *secure.JWTFile != (engine.JWTFileSpec{Assertion: "workload", RewriteEvery: 250 * time.Millisecond}) {
		t.Errorf("secure case JWT file %+v: want the scenario's assertion and the case's interval", secure.JWTFile)
	}
	d := engine.Describe(secure)
	if !strings.HasPrefix(d[0].URLs["token_endpoint"], "https://") || d[0].Settings["tls"] != "true" || d[0].Settings["plain_token_endpoint"] == "" {
		t.Errorf("describe: %+v", d[0])
	}
}

func TestJWTFileDiagnostics(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`scenario "s" {
  assertion "workload" {}
  jwt_file { assertion = "worklod" }
}`, `did you mean "workload"`},
		{`scenario "s" {
  assertion "workload" {}
  jwt_file {
    assertion     = "workload"
    rewrite_every = "1ms"
  }
}`, "Rewrite interval too short"},
		{`scenario "s" {
  assertion "workload" {}
  jwt_file { assertion = "workload" }
  jwt_file { assertion = "workload" }
}`, "Duplicate jwt_file block"},
		{`scenario "s" {
  jwt_file { rewrite_every = "1s" }
}`, `"assertion" is required`},
		{`scenario "s" {
  tls = "yes"
}`, "bool"},
	} {
		p := dsl.NewParser()
		f, diags := p.ParseSource("x.hcl", []byte(tc.src))
		if !diags.HasErrors() {
			var cfg *dsl.Config
			cfg, diags = dsl.Decode([]*hcl.File{f})
			if !diags.HasErrors() {
				_, diags = cfg.Compile()
			}
		}
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("%s\n: diagnostics %v, want %q", tc.src, diags, tc.want)
		}
	}
}
