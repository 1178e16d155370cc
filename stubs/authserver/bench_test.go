package authserver

import (
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
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

// BenchmarkTokenEndpointParallel is BenchmarkTokenEndpoint from 16
// concurrent keep-alive connections (8 per CPU on 2 CPUs): one op is one
// token request, so req/s is the server's throughput under that load,
// with the load generator sharing the CPUs.
func BenchmarkTokenEndpointParallel(b *testing.B) {
	s := newTestServer(b, Config{})
	c := claimsFor(s, "")
	body := url.Values{"grant_type": {GrantJWTBearer}, "assertion": {mint(b, testKeys, c)}}.Encode()
	const conns = 16
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conns, DisableCompression: true}}
	defer hc.CloseIdleConnections()

	b.SetParallelism((conns + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Post(s.TokenEndpoint(), "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
