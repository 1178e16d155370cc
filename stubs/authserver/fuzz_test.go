package authserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// fuzzMaxBody is small so that the fuzzer reaches the body limit.
const fuzzMaxBody = 2048

// oauthErrors are the token endpoint error codes of RFC 6749 §5.2.
var oauthErrors = []string{
	"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope",
}

// FuzzTokenEndpoint sends arbitrary requests to the token endpoint's
// handler: any method, content type, query and body. In the body and the
// query, {assertion} stands for a fresh assertion that verifies and
// {endpoint} for the token endpoint, so that the fuzzer also works near the
// success path. Whatever arrives, the server answers with a well-formed
// RFC 6749 response, records the request exactly, and never answers 500.
func FuzzTokenEndpoint(f *testing.F) {
	form := func(v url.Values) string { return v.Encode() }
	good := url.Values{"grant_type": {GrantJWTBearer}, "assertion": {"{assertion}"}, "resource": {"http://127.0.0.1:1/mcp"}}
	f.Add("POST", formType, "", strings.ReplaceAll(form(good), "%7Bassertion%7D", "{assertion}"))
	f.Add("POST", formType+"; charset=utf-8", "", "grant_type="+url.QueryEscape(GrantJWTBearer)+"&assertion={assertion}&scope=forbidden")
	f.Add("POST", formType, "", "grant_type="+url.QueryEscape(GrantJWTBearer)+"&assertion={assertion}&grant_type=x")
	f.Add("POST", "application/json", "", `{"grant_type":"`+GrantJWTBearer+`","assertion":"{assertion}"}`)
	f.Add("GET", "", "grant_type="+url.QueryEscape(GrantJWTBearer)+"&assertion={assertion}", "")
	f.Add("POST", formType, "", "grant_type=client_credentials&client_assertion={assertion}")
	f.Add("POST", formType, "", "a=%zz&b=1")
	f.Add("POST", formType, "", "x;y=1")
	f.Add("POST", "multipart/form-data; boundary=x", "", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nx\r\n--x--")
	f.Add("POST", formType, "", strings.Repeat("a", fuzzMaxBody+1))
	f.Add("PUT", "text/plain", "a=1&a=2", "\xff\xfe")
	f.Add("POST", `application/x-www-form-urlencoded; charset="broken`, "", "grant_type=\x00")
	f.Fuzz(func(t *testing.T, method, contentType, query, body string) {
		s, err := New(Config{
			Keys: testKeys, Now: fixedClock, MaxBody: fuzzMaxBody, ScopesSupported: []string{"mcp:tools"},
			Rules: []Rule{
				{Name: "scope", Error: "invalid_scope", Match: func(req *TokenRequest, _ map[string]any) (bool, error) {
					return url.Values(req.Form).Get("scope") == "forbidden", nil
				}},
				{Name: "subject", Match: func(_ *TokenRequest, claims map[string]any) (bool, error) {
					return claims["sub"] == "rogue", nil
				}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fill := func(v string) string {
			if strings.Contains(v, "{assertion}") {
				v = strings.ReplaceAll(v, "{assertion}", mint(t, testKeys, claimsFor(s, uuid.NewString())))
			}
			return strings.ReplaceAll(v, "{endpoint}", s.TokenEndpoint())
		}
		body, query = fill(body), fill(query)
		req := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: PathToken, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1,
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader(body)),
			Host:       strings.TrimPrefix(s.URL(), "http://"),
			RemoteAddr: "127.0.0.1:1",
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		s.serveHTTP(rec, req)

		// The response.
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500: %s", rec.Body.String())
		}
		if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", rec.Header())
		}
		var resp map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("body is not a JSON object: %v: %q", err, rec.Body.String())
		}
		if rec.Code == http.StatusOK {
			tok, _ := resp["access_token"].(string)
			if tok == "" || resp["token_type"] != "Bearer" || !s.IsIssued(tok) {
				t.Fatalf("200 without an issued Bearer token: %v", resp)
			}
		} else {
			code, _ := resp["error"].(string)
			if !slices.Contains(oauthErrors, code) {
				t.Fatalf("%d with error %q, not an RFC 6749 code", rec.Code, code)
			}
			desc, _ := resp["error_description"].(string)
			for _, c := range []byte(desc) {
				if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
					t.Fatalf("error_description has %q: %q", c, desc)
				}
			}
		}

		// The record.
		if s.TokenRequestCount() != 1 || s.RequestCount() != 1 {
			t.Fatalf("counts %d %d", s.TokenRequestCount(), s.RequestCount())
		}
		trs := s.TokenRequests()
		if len(trs) != 1 {
			t.Fatalf("%d records", len(trs))
		}
		tr := trs[0]
		wantBody, truncated := body, len(body) > fuzzMaxBody
		if truncated {
			wantBody = body[:fuzzMaxBody]
		}
		if tr.Method != method || tr.Body != wantBody || tr.BodyTruncated != truncated || tr.Response.Status != rec.Code {
			t.Fatalf("record: method %q body %d bytes truncated %v status %d", tr.Method, len(tr.Body), tr.BodyTruncated, tr.Response.Status)
		}
		if (rec.Code == http.StatusOK) != (tr.Response.AccessToken != "") || tr.Response.Error != resp["error"] && rec.Code != http.StatusOK {
			t.Fatalf("record response %+v, sent %v", tr.Response, resp)
		}
		switch {
		case truncated:
			if rec.Code != http.StatusRequestEntityTooLarge || tr.Form != nil {
				t.Fatalf("an oversized body got %d", rec.Code)
			}
		case method != http.MethodPost:
			if rec.Code != http.StatusBadRequest || tr.Response.Reason != ReasonMethod {
				t.Fatalf("%s got %d %q", method, rec.Code, tr.Response.Reason)
			}
		case tr.ContentType != formType:
			if tr.Form != nil || rec.Code != http.StatusBadRequest || tr.Response.Reason != ReasonContentType {
				t.Fatalf("content type %q got %d %q", tr.ContentType, rec.Code, tr.Response.Reason)
			}
		case tr.Form == nil:
			if tr.FormError == "" || tr.Response.Reason != ReasonForm {
				t.Fatalf("an unparsed form without a reason: %+v", tr.Response)
			}
		case len(tr.RepeatedKeys) > 0:
			if tr.Response.Error != "invalid_request" || tr.Response.Reason != ReasonRepeated {
				t.Fatalf("repeated %v got %+v", tr.RepeatedKeys, tr.Response)
			}
		}
		if rec.Code == http.StatusOK && (tr.Form == nil || url.Values(tr.Form).Get("grant_type") != GrantJWTBearer) {
			t.Fatalf("issued a token for grant %v", tr.Form)
		}
	})
}
