package dsl

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/wifdsl/wifdsl"
	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/internal/scengen"
	"github.com/wifdsl/wifdsl/stubs/authserver"
)

// shapes are the generated files: 1,000 scenarios of the small shape
// (the benchmark's input, 2 cases each) and of the large one (4 cases).
var shapes = []struct {
	name string
	opts scengen.Options
}{
	{"small", scengen.Options{Scenarios: 1000}},
	{"large", scengen.Options{Scenarios: 1000, Large: true}},
}

// writeGenerated writes a generated scenario file into a temporary
// directory and returns its path.
func writeGenerated(b *testing.B, opts scengen.Options) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "generated.hcl")
	src := scengen.String(opts)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	return path
}

// BenchmarkValidateGenerated reads, parses and compiles a generated file
// with 1,000 scenarios from disk, as `wifdsl validate` does: one op is the
// whole file.
func BenchmarkValidateGenerated(b *testing.B) {
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			path := writeGenerated(b, sh.opts)
			b.ReportAllocs()
			for b.Loop() {
				l, diags := Load(Source{Paths: []string{path}}, Options{})
				if diags.HasErrors() {
					b.Fatal(diags)
				}
				if got, want := len(l.Plan.Cases()), sh.opts.Scenarios*sh.opts.CasesPerScenario(); got != want {
					b.Fatalf("%d cases, want %d", got, want)
				}
			}
		})
	}
}

// BenchmarkParseGenerated is the parse stage alone of
// BenchmarkValidateGenerated.
func BenchmarkParseGenerated(b *testing.B) {
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			path := writeGenerated(b, sh.opts)
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := NewParser().ParsePaths([]string{path}); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkCompileBuiltin parses and compiles the built-in suite, which
// every `wifdsl run` without files does first.
func BenchmarkCompileBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := Load(Source{Inline: []InlineFile{{Name: wifdsl.BuiltinSuiteName, Bytes: wifdsl.BuiltinSuite}}}, Options{}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// BenchmarkCompileGenerated is the decode and compile stages alone of
// BenchmarkValidateGenerated, over files parsed once.
func BenchmarkCompileGenerated(b *testing.B) {
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			path := writeGenerated(b, sh.opts)
			files, diags := NewParser().ParsePaths([]string{path})
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := compileFiles(files); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// jsonShaped are values of the shapes the engine hands to check
// conditions and rules, including the corners of the JSON route.
func jsonShaped() []any {
	req := &authserver.TokenRequest{
		Seq: 2, At: 1500 * time.Microsecond, Method: "POST", Path: "/token",
		Query:       map[string][]string{"a": {"1", "2"}, "empty": nil},
		ContentType: "application/x-www-form-urlencoded",
		Header:      map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Many": {"a", "b"}},
		Body:        "grant_type=x&assertion=y\xff",
		Form:        map[string][]string{"grant_type": {"x"}, "assertion": {"y\xff"}, "scope": {"a", "b"}},
		Claims: map[string]any{
			"iss": "https://idp", "exp": 1.7e9, "iat": float64(1700000000), "nbf": 0.1,
			"aud": []any{"a", "b"}, "nested": map[string]any{"x": nil, "y": []any{}, "z": map[string]any{}},
		},
		AssertionHeader: map[string]any{"alg": "ES256", "kid": "k1"},
		Response:        authserver.TokenResponse{Status: 400, Error: "invalid_grant", ErrorDescription: "no <&> e\u0301"},
	}
	return []any{
		nil, "", "plain", "e\u0301", "bad\xffutf8\xc3", "<&>\u2028", "\ufffd",
		true, false, 0, -5, int64(math.MaxInt64), int64(math.MinInt64),
		0.0, math.Copysign(0, -1), 1.5, 0.1, 1e300, 5e-324, 3.0, 1e21, 123456789.125,
		map[string]any{}, map[string]any(nil), []any{}, []any(nil), []string(nil), []string{},
		map[string]string(nil), map[string]string{}, map[string][]string(nil),
		map[string][]string{"a": nil, "b": {}, "c": {"x", "y"}},
		[]any{nil, 1, "a", map[string]any{"k": []string{"v"}}, []any{1.25, false}},
		map[string]any{"bad\xffkey": 1},
		map[string]any{"n": nil, "l": []any{nil}, "m": map[string]string{"a": "b\xfe"}},
		tokenRequestJSON(req),
		tokenRequestJSON(&authserver.TokenRequest{}),
	}
}

func TestJSONToCtyMatchesJSONRoundTrip(t *testing.T) {
	for i, v := range jsonShaped() {
		want, werr := goToCty(v)
		got, gerr := jsonToCty(v)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("#%d %#v: error %v, JSON route %v", i, v, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		if !got.RawEquals(want) {
			t.Errorf("#%d %#v:\n got %#v\nwant %#v", i, v, got, want)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}} {
		if _, err := jsonToCty(v); err == nil {
			t.Errorf("%v: no error", v)
		}
	}
}

// BenchmarkObservationVariables converts one case's observations into
// the variables check conditions see.
func BenchmarkObservationVariables(b *testing.B) {
	v := jsonShaped()
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range v {
			if _, err := jsonToCty(e); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestCompileManyCasesIsDeterministic compiles a generated file large
// enough to be compiled on several goroutines, with a type error in every
// scenario, and checks that the plan and the diagnostics come out exactly
// as from one goroutine.
func TestCompileManyCasesIsDeterministic(t *testing.T) {
	src := scengen.String(scengen.Options{Scenarios: 300})
	const good = "condition     = alltrue([for r in token_requests : r.form.grant_type == grant.jwt_bearer])"
	if !strings.Contains(src, good) {
		t.Fatal("the generated file changed: update this test")
	}
	bad := strings.ReplaceAll(src, good, `condition     = "not a bool"`)
	for _, tc := range []struct {
		name  string
		src   string
		valid bool
	}{{"valid", src, true}, {"invalid", bad, false}} {
		t.Run(tc.name, func(t *testing.T) {
			compile := func() (string, string) {
				f, diags := NewParser().ParseSource("generated.hcl", []byte(tc.src))
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				plan, diags := compileFiles([]*hcl.File{f})
				var ids, ds []string
				if plan != nil {
					for _, c := range plan.Cases() {
						var checks []string
						for _, ch := range c.Checks {
							checks = append(checks, ch.ID)
						}
						ids = append(ids, c.ID()+" "+strings.Join(checks, ","))
					}
				}
				for _, d := range diags {
					ds = append(ds, fmt.Sprintf("%v %s: %s (%s)", d.Severity, d.Subject, d.Summary, d.Detail))
				}
				return strings.Join(ids, "\n"), strings.Join(ds, "\n")
			}
			prev := runtime.GOMAXPROCS(1)
			wantPlan, wantDiags := compile()
			runtime.GOMAXPROCS(max(prev, 4))
			gotPlan, gotDiags := compile()
			runtime.GOMAXPROCS(prev)
			if tc.valid != (wantDiags == "") {
				t.Fatalf("diagnostics: %s", wantDiags)
			}
			if !tc.valid && strings.Count(wantDiags, "\n")+1 != 300 {
				t.Errorf("want one diagnostic per scenario, got:\n%s", wantDiags)
			}
			if gotPlan != wantPlan {
				t.Errorf("the plan depends on the number of goroutines")
			}
			if gotDiags != wantDiags {
				t.Errorf("the diagnostics depend on the number of goroutines:\n%s\nvs\n%s", gotDiags, wantDiags)
			}
		})
	}
}

// compileFiles is the decode and compile stages of Load over parsed files.
func compileFiles(files []*hcl.File) (*engine.Plan, hcl.Diagnostics) {
	cfg, diags := Decode(files)
	if diags.HasErrors() {
		return nil, diags
	}
	plan, ds := cfg.Compile()
	return plan, append(diags, ds...)
}
