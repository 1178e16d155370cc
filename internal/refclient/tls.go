package refclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// Variables that name CA certificate files the client trusts besides the
// system roots: wifdsl's own, and the ones OpenSSL-based tools and Node.js
// read. A harness in TLS mode sets them all to its run CA.
var caFileEnv = []string{"WIFDSL_CA_FILE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"}

// ErrDowngrade is returned (wrapped) when discovery over TLS leads to a
// plain-HTTP token endpoint: the workload JWT is never sent without TLS.
var ErrDowngrade = errors.New("refclient: refusing to send the workload JWT over plain HTTP")

// trustedRoots is the system pool plus every certificate of the files
// named by caFileEnv, or nil (the system roots) when none is set.
func trustedRoots() (*x509.CertPool, error) {
	var files []string
	for _, k := range caFileEnv {
		if f := os.Getenv(k); f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("refclient: reading CA certificates: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("refclient: no PEM certificate in %s", f)
		}
	}
	return pool, nil
}

// tlsConfig trusts roots (nil: the system roots) with TLS 1.2 or later.
func tlsConfig(roots *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}

// checkNoDowngrade refuses a plain-HTTP token endpoint once the resource
// or its authorization server was reached over TLS: then TLS is available,
// and an http:// token endpoint in metadata served over HTTPS is a
// downgrade (SEP-1933: workload JWTs only over TLS). An all-plain loopback
// setup, the test exception of checkSecureURL, stays allowed.
func checkNoDowngrade(tokenEndpoint string, discoveredVia ...string) error {
	te, err := url.Parse(tokenEndpoint)
	if err != nil || te.Scheme == "https" {
		return nil // checkSecureURL judges unparsable URLs
	}
	for _, u := range discoveredVia {
		if p, err := url.Parse(u); err == nil && p.Scheme == "https" {
			return fmt.Errorf("%w: the token endpoint %s was advertised through %s, which is HTTPS", ErrDowngrade, tokenEndpoint, u)
		}
	}
	return nil
}
