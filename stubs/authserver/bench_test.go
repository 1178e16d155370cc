package authserver

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkTokenEndpoint measures a full JWT-bearer exchange over a
// keep-alive loopback connection, including ES256 signature verification
// and claim validation. The assertion carries no jti, so it can be reused.
func BenchmarkTokenEndpoint(b *testing.B) {
	s := newTestServer(b, Config{})
	c := claimsFor(s, "")
	body := url.Values{"grant_type": {GrantJWTBearer}, "assertion": {mint(b, testKeys, c)}}.Encode()
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1}}
	defer hc.CloseIdleConnections()

	b.ReportAllocs()
	for b.Loop() {
		resp, err := hc.Post(s.TokenEndpoint(), "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
