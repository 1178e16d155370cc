package refclient

import (
	"slices"
	"strings"
	"testing"
)

// runVariant runs Main with a variant given as JSON, the way wifdsl prove
// hands it over.
func runVariant(t *testing.T, f *fake, jwt, variant string) result {
	t.Helper()
	t.Setenv(EnvVariant, variant)
	return runMain(t, f, jwt)
}

func TestDataVariants(t *testing.T) {
	invalidGrant := func(f *fake) { f.tokenError = "invalid_grant" }
	for _, tc := range []struct {
		name      string
		variant   string
		configure func(*fake)
		code      int
		check     func(t *testing.T, f *fake, res result)
	}{
		{"basic credentials and form changes", `{"basic_auth":"app:s3cret","extra_params":{"client_secret":"s3cret"},"omit_params":["resource"],"scope":"mcp:admin"}`, nil, 0, func(t *testing.T, f *fake, res result) {
			tr := f.tokenRequests()[0]
			if tr.Basic != "app:s3cret" || tr.Form.Get("client_secret") != "s3cret" || tr.Form.Has("resource") || tr.Form.Get("scope") != "mcp:admin" {
				t.Errorf("token request %+v", tr)
			}
		}},
		{"refresh grant after success", `{"then_grant":"refresh_token"}`, nil, 0, func(t *testing.T, f *fake, res result) {
			reqs := f.tokenRequests()
			if len(reqs) != 2 || reqs[1].Form.Get("grant_type") != "refresh_token" || reqs[1].Form.Get("refresh_token") == "" {
				t.Fatalf("token requests %+v", reqs)
			}
		}},
		{"retries and fallback together", `{"retries":1,"retry_delay":"0s","fallback_grant":"client_credentials"}`, invalidGrant, 1, func(t *testing.T, f *fake, res result) {
			var grants []string
			for _, r := range f.tokenRequests() {
				grants = append(grants, r.Form.Get("grant_type"))
			}
			if !slices.Equal(grants, []string{GrantTypeJWTBearer, GrantTypeJWTBearer, "client_credentials"}) {
				t.Errorf("grants %q", grants)
			}
		}},
		{"print and exit code", `{"print":["hello from the variant"],"exit_code":3}`, nil, 3, func(t *testing.T, f *fake, res result) {
			if !strings.HasPrefix(res.stdout, "hello from the variant\n") {
				t.Errorf("stdout %q", res.stdout)
			}
		}},
		{"renews an expired token", `{"pause":"1100ms"}`, func(f *fake) { f.expiresIn = 1 }, 0, func(t *testing.T, f *fake, res result) {
			if n := len(f.tokenRequests()); n != 2 {
				t.Errorf("%d token requests, want 2: the token expired during the pause", n)
			}
		}},
		{"ignore expiry", `{"pause":"1100ms","ignore_expiry":true}`, func(f *fake) { f.expiresIn = 1 }, 0, func(t *testing.T, f *fake, res result) {
			if n := len(f.tokenRequests()); n != 1 {
				t.Errorf("%d token requests, want 1: the expired token is used again", n)
			}
		}},
		// The fake context's expired_jwt is valid_jwt followed by "y"; the
		// fake accepts any assertion.
		{"assertion from the context", `{"assertion_from":"expired_jwt"}`, nil, 0, func(t *testing.T, f *fake, res result) {
			reqs := f.tokenRequests()
			if len(reqs) != 1 || !strings.HasSuffix(reqs[0].Form.Get("assertion"), "y") {
				t.Errorf("token requests %+v, want one with expired_jwt", reqs)
			}
			if strings.Contains(res.stdout+res.stderr, reqs[0].Form.Get("assertion")) {
				t.Errorf("the output shows the assertion")
			}
		}},
		{"quit before any request", `{"quit_at_start":true}`, nil, 1, func(t *testing.T, f *fake, res result) {
			if paths := f.requestPaths(); len(paths) != 0 {
				t.Errorf("requests %q, want none", paths)
			}
			if !strings.Contains(res.stderr, "before any request") {
				t.Errorf("stderr %q", res.stderr)
			}
		}},
		// The MCP server refuses the forged token; the client renews it
		// once, forges the new one too and gives up.
		{"forged token", `{"forged_token":true}`, nil, 1, func(t *testing.T, f *fake, res result) {
			issued := f.issuedTokens()
			if len(issued) == 0 {
				t.Fatal("no token issued")
			}
			forged := 0
			for _, m := range f.mcpRequests() {
				tok := strings.TrimPrefix(m.Authorization, "Bearer ")
				if slices.Contains(issued, tok) {
					t.Errorf("an MCP request carried the issued token %q", tok)
				}
				if strings.HasPrefix(tok, "forged-") {
					forged++
				}
			}
			if forged == 0 {
				t.Errorf("no MCP request carried a forged token: %+v", f.mcpRequests())
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.configure)
			res := runVariant(t, f, testJWT(t, f.srv.URL+"/token"), tc.variant)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			tc.check(t, f, res)
		})
	}
}

func TestParseVariantRefusesMistakes(t *testing.T) {
	for _, raw := range []string{
		`{"retrys":3}`,
		`{"hang":"later"}`,
		`{"token_method":"PUT"}`,
		`{"pause":"soon"}`,
		`{"exit_code":300}`,
		`{"assertion_from":"id_token"}`,
		`[]`,
	} {
		if _, err := ParseVariant(raw); err == nil {
			t.Errorf("ParseVariant(%s) accepted it", raw)
		}
	}
	var stderr strings.Builder
	t.Setenv(EnvVariant, `{"retrys":3}`)
	if code := Main([]string{"http://127.0.0.1:1/mcp"}, &strings.Builder{}, &stderr); code != 2 || !strings.Contains(stderr.String(), "retrys") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// Every named variant is valid and round-trips through JSON, so -bug NAME
// and a variant block with the same fields are the same client.
func TestNamedVariantsRoundTrip(t *testing.T) {
	for _, name := range Bugs() {
		v, _ := NamedVariant(name)
		if err := v.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		back, err := ParseVariant(v.JSON())
		if err != nil || back.JSON() != v.JSON() {
			t.Errorf("%s: round trip %v: %s != %s", name, err, back.JSON(), v.JSON())
		}
	}
}
