package authserver

// Malformed HTTP sent over raw loopback connections: each request is
// recorded (when it reaches the handler) or refused by the HTTP server with
// the right status; the stub never crashes and still serves a correct
// client afterwards; slow clients are cut off by the server's timeouts.

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/internal/rawhttp"
)

func rawPost(host, contentType, body string, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "POST /token HTTP/1.1\r\nHost: %s\r\n", host)
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	return []byte(b.String())
}

func chunked(host, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST /token HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", host, formType)
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

func TestMalformedHTTP(t *testing.T) {
	s := newTestServer(t, Config{})
	addr := strings.TrimPrefix(s.URL(), "http://")
	grant := "grant_type=" + url.QueryEscape(GrantJWTBearer)
	huge := grant + "&assertion=" + strings.Repeat("a", 2<<20)
	json := `{"grant_type":"` + GrantJWTBearer + `","assertion":"x.y.z"}`

	tests := []struct {
		name   string
		raw    []byte
		status int
		// check inspects the record of a request that reached the token
		// endpoint; nil means the HTTP server refused it before.
		check func(t *testing.T, tr TokenRequest)
	}{
		{"text/plain", rawPost(addr, "text/plain", grant), 400, func(t *testing.T, tr TokenRequest) {
			if tr.ContentType != "text/plain" || tr.Form != nil || tr.Response.Reason != ReasonContentType {
				t.Errorf("%+v", tr.Response)
			}
		}},
		{"no content type", rawPost(addr, "", grant), 400, func(t *testing.T, tr TokenRequest) {
			if tr.ContentType != "" || tr.Response.Reason != ReasonContentType {
				t.Errorf("%q %+v", tr.ContentType, tr.Response)
			}
		}},
		{"multipart", rawPost(addr, "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nx\r\n--x--\r\n"), 400, func(t *testing.T, tr TokenRequest) {
			if tr.ContentType != "multipart/form-data" || tr.Response.Reason != ReasonContentType {
				t.Errorf("%q %+v", tr.ContentType, tr.Response)
			}
		}},
		{"JSON instead of a form", rawPost(addr, "application/json", json), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Body != json || tr.Form != nil || tr.Response.Error != "invalid_request" || tr.Response.Reason != ReasonContentType {
				t.Errorf("body %q form %v %+v", tr.Body, tr.Form, tr.Response)
			}
		}},
		{"JSON labelled as a form", rawPost(addr, formType, json), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Body != json || tr.Response.Error != "invalid_request" || tr.Response.Reason != ReasonMissingGrantType {
				t.Errorf("body %q %+v", tr.Body, tr.Response)
			}
		}},
		{"invalid percent encoding", rawPost(addr, formType, grant+"&assertion=%zz"), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Form != nil || tr.FormError == "" || tr.Response.Reason != ReasonForm {
				t.Errorf("form %v error %q %+v", tr.Form, tr.FormError, tr.Response)
			}
		}},
		{"semicolon separator", rawPost(addr, formType, grant+";assertion=x"), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Form != nil || tr.Response.Reason != ReasonForm {
				t.Errorf("%+v", tr.Response)
			}
		}},
		{"repeated parameters", rawPost(addr, formType, grant+"&assertion=x&assertion=y&"+grant), 400, func(t *testing.T, tr TokenRequest) {
			if strings.Join(tr.RepeatedKeys, ",") != "assertion,grant_type" || tr.Response.Reason != ReasonRepeated {
				t.Errorf("repeated %v %+v", tr.RepeatedKeys, tr.Response)
			}
		}},
		{"gzip body", rawPost(addr, formType, gzipped(grant), "Content-Encoding: gzip"), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Header.Get("Content-Encoding") != "gzip" || tr.Response.Error != "invalid_request" {
				t.Errorf("%+v", tr.Response)
			}
		}},
		{"NUL and invalid UTF-8 in values", rawPost(addr, formType, "grant_type=%00%ff%fe&assertion=%00"), 400, func(t *testing.T, tr TokenRequest) {
			if url.Values(tr.Form).Get("grant_type") != "\x00\xff\xfe" || tr.Response.Error != "unsupported_grant_type" {
				t.Errorf("form %q %+v", tr.Form, tr.Response)
			}
		}},
		{"body over 1 MiB", rawPost(addr, formType, huge), 413, func(t *testing.T, tr TokenRequest) {
			if !tr.BodyTruncated || len(tr.Body) != DefaultMaxBody || tr.Body != huge[:DefaultMaxBody] || tr.Response.Reason != ReasonBodyTooLarge {
				t.Errorf("truncated %v, %d bytes kept, %+v", tr.BodyTruncated, len(tr.Body), tr.Response)
			}
		}},
		{"chunked body over 1 MiB", chunked(addr, huge), 413, func(t *testing.T, tr TokenRequest) {
			if !tr.BodyTruncated || len(tr.Body) != DefaultMaxBody || tr.Response.Reason != ReasonBodyTooLarge {
				t.Errorf("truncated %v, %d bytes kept, %+v", tr.BodyTruncated, len(tr.Body), tr.Response)
			}
		}},
		{"body shorter than its length", []byte("POST /token HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: " + formType + "\r\nContent-Length: 1000\r\n\r\n" + grant), 400, func(t *testing.T, tr TokenRequest) {
			if !strings.HasPrefix(tr.FormError, "reading the body failed") || tr.Response.Reason != ReasonBodyRead {
				t.Errorf("form error %q %+v", tr.FormError, tr.Response)
			}
		}},
		{"unknown method", []byte("BREW /token HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n"), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Method != "BREW" || tr.Response.Reason != ReasonMethod {
				t.Errorf("%q %+v", tr.Method, tr.Response)
			}
		}},
		{"token request as GET", []byte("GET /token?" + grant + "&assertion=x.y.z HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n"), 400, func(t *testing.T, tr TokenRequest) {
			if url.Values(tr.Query).Get("assertion") != "x.y.z" || tr.Response.Reason != ReasonMethod {
				t.Errorf("query %v %+v", tr.Query, tr.Response)
			}
		}},
		{"HTTP/1.0 without Host", []byte("POST /token HTTP/1.0\r\nContent-Type: " + formType + "\r\nContent-Length: 3\r\n\r\na=b"), 400, func(t *testing.T, tr TokenRequest) {
			if tr.Response.Reason != ReasonMissingGrantType {
				t.Errorf("%+v", tr.Response)
			}
		}},
		// Refused by the HTTP server before the handler: never recorded.
		{"garbage request line", []byte("\x00\x01\x02 not http at all\r\n\r\n"), 400, nil},
		{"header without a colon", []byte("POST /token HTTP/1.1\r\nHost: " + addr + "\r\nno colon here\r\n\r\n"), 400, nil},
		{"invalid Content-Length", []byte("POST /token HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: lots\r\n\r\n"), 400, nil},
		{"two Content-Lengths", []byte("POST /token HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), 400, nil},
		{"HTTP/1.1 without Host", []byte("POST /token HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 400, nil},
		{"headers over 64 KiB", rawPost(addr, formType, grant, "X-Pad: "+strings.Repeat("p", 128<<10)), 431, nil},
		{"unsupported HTTP version", []byte("POST /token HTTP/7.0\r\nHost: " + addr + "\r\n\r\n"), 505, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.TokenRequestCount()
			if got := rawhttp.Exchange(t, addr, tt.raw); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
			after := s.TokenRequestCount()
			if tt.check == nil {
				if after != before {
					t.Errorf("a request the HTTP server refused was recorded")
				}
				return
			}
			if after != before+1 {
				t.Fatalf("token request count went from %d to %d", before, after)
			}
			tr := lastTokenRequest(t, s)
			if tr.Response.Status != tt.status {
				t.Errorf("recorded status %d, sent %d", tr.Response.Status, tt.status)
			}
			tt.check(t, tr)
		})
	}
	// The stub is still up and still correct.
	if r := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, "after-the-storm")))); r.status != http.StatusOK {
		t.Fatalf("a correct request after the malformed ones: %d %s", r.status, r.raw)
	}
}

// TestSlowClientsAreCutOff holds connections open by trickling headers
// (slowloris) or a body: the server's timeouts close them, nothing slow is
// recorded as a whole request, and correct clients are served meanwhile.
func TestSlowClientsAreCutOff(t *testing.T) {
	// The server's timeouts are 5 s for the headers and 10 s for the
	// whole request; the test waits for a fifth of them. It is not
	// parallel, so no other server starts meanwhile.
	if s := newTestServer(t, Config{}); s.srv.ReadHeaderTimeout != 5*time.Second || s.srv.ReadTimeout != 10*time.Second {
		t.Fatalf("timeouts %v and %v, want 5s and 10s", s.srv.ReadHeaderTimeout, s.srv.ReadTimeout)
	}
	defer func(h, r time.Duration) { readHeaderTimeout, readTimeout = h, r }(readHeaderTimeout, readTimeout)
	readHeaderTimeout, readTimeout = readHeaderTimeout/5, readTimeout/5
	s := newTestServer(t, Config{})
	addr := strings.TrimPrefix(s.URL(), "http://")
	const limit = 40 * time.Second // far beyond the server's timeouts
	var wg sync.WaitGroup
	results := make(chan string, 20)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Slow headers: a header line that never ends.
			if !rawhttp.Slow(t, addr, "POST /token HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow-"+fmt.Sprint(i)+": ", 200*time.Millisecond, limit) {
				results <- "a slow-header connection stayed open"
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Slow body: complete headers, then a body that trickles.
		prefix := "POST /token HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: " + formType + "\r\nContent-Length: 100000\r\n\r\ngrant_type="
		if !rawhttp.Slow(t, addr, prefix, 200*time.Millisecond, limit) {
			results <- "a slow-body connection stayed open"
		}
	}()
	// Meanwhile a correct client is served.
	if r := postForm(t, s, bearerForm(mint(t, testKeys, claimsFor(s, "during")))); r.status != http.StatusOK {
		t.Errorf("a correct request during the slow ones: %d %s", r.status, r.raw)
	}
	wg.Wait()
	close(results)
	for r := range results {
		t.Error(r)
	}
	// The slow body reached the handler, which recorded a read failure;
	// the slow headers never made a request.
	if n := s.TokenRequestCount(); n != 2 {
		t.Fatalf("%d token requests recorded, want the correct one and the slow body", n)
	}
	var slow *TokenRequest
	for _, tr := range s.TokenRequests() {
		if tr.Response.Reason == ReasonBodyRead {
			slow = &tr
		}
	}
	if slow == nil || !strings.HasPrefix(slow.Body, "grant_type=") {
		t.Fatalf("the slow body was not recorded as a failed read: %+v", s.TokenRequests())
	}
}
