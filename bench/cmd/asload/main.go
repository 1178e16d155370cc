//go:build bench

// Command asload measures the stub authorization server's token endpoint:
// it starts one server on 127.0.0.1, mints one ES256 workload assertion
// (without jti, so it can be presented again), and sends JWT-bearer token
// requests from -c keep-alive connections until -n requests were answered
// or -d elapsed, whichever comes first. Every request is a full exchange:
// form parsing, ES256 signature verification, claim validation, recording
// and a fresh access token. It prints throughput and latency percentiles.
//
//	go run ./bench/cmd/asload -c 16 -n 50000 -d 10s -rounds 3
//
// Only loopback is contacted; the load is bounded in count and time.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wifdsl/wifdsl/bench/internal/hostload"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/stubs/authserver"
)

func main() {
	conc := flag.Int("c", 16, "concurrent connections")
	maxReq := flag.Int("n", 50000, "stop after this many requests")
	maxDur := flag.Duration("d", 10*time.Second, "stop after this long")
	warm := flag.Int("warmup", 500, "requests sent first and not measured")
	rounds := flag.Int("rounds", 1, "measure this many times (each bounded by -n and -d), each on a fresh server")
	flag.Parse()
	if *conc < 1 || *maxReq < 1 || *maxDur <= 0 || *warm < 0 || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "asload: -c, -n, -d and -rounds must be positive")
		os.Exit(2)
	}
	var rates []float64
	for r := 1; r <= *rounds; r++ {
		if *rounds > 1 {
			fmt.Printf("round %d:\n", r)
		}
		rate, err := run(*conc, *maxReq, *maxDur, *warm)
		if err != nil {
			fmt.Fprintln(os.Stderr, "asload:", err)
			os.Exit(1)
		}
		rates = append(rates, rate)
	}
	if *rounds > 1 {
		sorted := slices.Clone(rates)
		slices.Sort(sorted)
		fmt.Printf("throughput over %d rounds: median %.0f req/s, best %.0f, worst %.0f\n",
			len(rates), sorted[len(sorted)/2], sorted[len(sorted)-1], sorted[0])
	}
}

// run measures one round and returns its throughput in requests per second.
func run(conc, maxReq int, maxDur time.Duration, warm int) (float64, error) {
	keys := jwt.NewKeySet()
	s, err := authserver.New(authserver.Config{Keys: keys})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	now := time.Now()
	assertion, err := keys.Mint("ES256", jwt.Claims{
		Issuer: "https://idp.conformance.test", Subject: "spiffe://conformance.test/ns/default/sa/agent",
		Audience: []string{s.TokenEndpoint()}, IssuedAt: now, Expiry: now.Add(time.Hour),
	})
	if err != nil {
		return 0, err
	}
	body := url.Values{
		"grant_type": {authserver.GrantJWTBearer},
		"assertion":  {assertion},
		"resource":   {"http://127.0.0.1:1/mcp"},
	}.Encode()
	tr := &http.Transport{Proxy: nil, MaxIdleConns: conc, MaxIdleConnsPerHost: conc, DisableCompression: true}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	post := func() (time.Duration, error) {
		t0 := time.Now()
		resp, err := hc.Post(s.TokenEndpoint(), "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(t0), nil
	}
	for i := 0; i < warm; i++ {
		if _, err := post(); err != nil {
			return 0, fmt.Errorf("warm-up: %w", err)
		}
	}

	var (
		issued   atomic.Int64 // requests handed out, bounded by maxReq
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	lat := make([][]time.Duration, conc)
	deadline := time.Now().Add(maxDur)
	load := hostload.Take()
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for issued.Add(1) <= int64(maxReq) && time.Now().Before(deadline) {
				d, err := post()
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[w] = append(lat[w], d)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return 0, fmt.Errorf("no request succeeded: %v", firstErr.Load())
	}
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))]) / float64(time.Microsecond)
	}
	cpu := tv(ru1.Utime) - tv(ru0.Utime) + tv(ru1.Stime) - tv(ru0.Stime)
	fmt.Printf("concurrency %d, %d requests (limit %d, %v), %d failed, in %.3f s\n",
		conc, len(all), maxReq, maxDur, failures.Load(), elapsed.Seconds())
	fmt.Printf("throughput %.0f req/s\n", float64(len(all))/elapsed.Seconds())
	fmt.Printf("latency us p50 %.0f p90 %.0f p99 %.0f max %.0f\n", pct(0.50), pct(0.90), pct(0.99), pct(1))
	fmt.Printf("cpu (server and load generator, one process) %.3f s = %.0f us/request\n",
		cpu.Seconds(), float64(cpu.Microseconds())/float64(len(all)))
	if e := firstErr.Load(); e != nil {
		fmt.Printf("first error: %v\n", e)
	}
	fmt.Println(load.Since())
	return float64(len(all)) / elapsed.Seconds(), nil
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}
