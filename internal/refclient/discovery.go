package refclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// maxMetadata bounds a metadata document read by discovery.
const maxMetadata = 1 << 20

// prmCandidate is one place protected resource metadata may live, with the
// resource identifier it must describe (RFC 9728 §3.3).
type prmCandidate struct {
	metadataURL string
	resource    string
}

// protectedResourceMetadata fetches the protected resource metadata of
// resourceURL (RFC 9728 §3): from the resource_metadata URL of the challenge
// when there is one (RFC 9728 §5.1), else from the well-known URL derived
// from resourceURL by path insertion (RFC 9728 §3.1), else from the
// well-known URL at the root of its origin. The metadata must list at least
// one authorization server.
func protectedResourceMetadata(ctx context.Context, c *http.Client, challengeURL, resourceURL string) (*oauthex.ProtectedResourceMetadata, error) {
	var cands []prmCandidate
	if challengeURL != "" {
		cands = append(cands, prmCandidate{challengeURL, resourceURL})
	} else {
		u, err := url.Parse(resourceURL)
		if err != nil {
			return nil, fmt.Errorf("refclient: parsing MCP server URL: %w", err)
		}
		// RFC 9728 §3.1: a terminating slash is removed before insertion.
		path := strings.TrimRight(u.Path, "/")
		wk := url.URL{Scheme: u.Scheme, Host: u.Host}
		if path != "" {
			wk.Path = "/.well-known/oauth-protected-resource" + path
			cands = append(cands, prmCandidate{wk.String(), resourceURL})
		}
		wk.Path = "/.well-known/oauth-protected-resource"
		root := url.URL{Scheme: u.Scheme, Host: u.Host}
		res := root.String()
		if path == "" {
			res = resourceURL
		}
		cands = append(cands, prmCandidate{wk.String(), res})
	}

	var errs []error
	for _, cand := range cands {
		prm, err := oauthex.GetProtectedResourceMetadata(ctx, cand.metadataURL, cand.resource, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(prm.AuthorizationServers) == 0 {
			return nil, fmt.Errorf("refclient: protected resource metadata at %s lists no authorization_servers (RFC 9728 §2)", cand.metadataURL)
		}
		return prm, nil
	}
	return nil, fmt.Errorf("refclient: protected resource metadata (RFC 9728): %w", errors.Join(errs...))
}

// authServerMetadataURLs lists where the metadata of issuer may live: the
// RFC 8414 §3.1 well-known URL (with path insertion for an issuer with a
// path), then the OpenID Connect Discovery 1.0 §4 locations.
func authServerMetadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("refclient: parsing issuer %q: %w", issuer, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("refclient: issuer %q is not an absolute URL", issuer)
	}
	path := strings.Trim(u.Path, "/")
	at := func(p string) string {
		v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: p}
		return v.String()
	}
	if path == "" {
		return []string{
			at("/.well-known/oauth-authorization-server"),
			at("/.well-known/openid-configuration"),
		}, nil
	}
	return []string{
		at("/.well-known/oauth-authorization-server/" + path),
		at("/.well-known/openid-configuration/" + path),
		at("/" + path + "/.well-known/openid-configuration"),
	}, nil
}

// authServerMetadata fetches the authorization server metadata of issuer
// (RFC 8414 §3). A 4xx answer moves on to the next location; when no
// location has metadata the flow fails: the token endpoint is never guessed.
// The issuer in the document must be the one asked for (RFC 8414 §3.3) and
// it must name a token endpoint.
//
// The go-sdk's auth.GetAuthServerMetadata is not used because it also
// requires code_challenge_methods_supported (PKCE), which an authorization
// server that only offers the JWT-bearer grant has no reason to publish.
func authServerMetadata(ctx context.Context, c *http.Client, issuer string) (*oauthex.AuthServerMeta, error) {
	urls, err := authServerMetadataURLs(issuer)
	if err != nil {
		return nil, err
	}
	for _, mu := range urls {
		if err := checkSecureURL(mu); err != nil {
			return nil, fmt.Errorf("refclient: authorization server metadata: %w", err)
		}
		asm, status, err := getAuthServerMeta(ctx, c, mu)
		if err != nil {
			return nil, fmt.Errorf("refclient: authorization server metadata at %s: %w", mu, err)
		}
		if asm == nil {
			if status >= 400 && status < 500 {
				continue
			}
			return nil, fmt.Errorf("refclient: authorization server metadata at %s: HTTP %d", mu, status)
		}
		if strings.TrimSuffix(asm.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
			return nil, fmt.Errorf("refclient: authorization server metadata at %s has issuer %q, want %q (RFC 8414 §3.3)", mu, asm.Issuer, issuer)
		}
		if asm.TokenEndpoint == "" {
			return nil, fmt.Errorf("refclient: authorization server metadata at %s has no token_endpoint (RFC 8414 §2)", mu)
		}
		return asm, nil
	}
	return nil, fmt.Errorf("refclient: no authorization server metadata (RFC 8414) for issuer %s at %s", issuer, strings.Join(urls, ", "))
}

// getAuthServerMeta GETs one metadata URL. It returns nil metadata and the
// status when the answer is not 200.
func getAuthServerMeta(ctx context.Context, c *http.Client, u string) (*oauthex.AuthServerMeta, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxMetadata))
		return nil, resp.StatusCode, nil
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, resp.StatusCode, fmt.Errorf("content type %q is not application/json (RFC 8414 §3.2)", resp.Header.Get("Content-Type"))
	}
	var asm oauthex.AuthServerMeta
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadata)).Decode(&asm); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("decoding: %w", err)
	}
	return &asm, resp.StatusCode, nil
}

// checkSecureURL refuses to send anything to a URL that is neither HTTPS nor
// on a loopback address: workload JWTs travel only over TLS (SEP-1933,
// RFC 7523 §7), and loopback is the test exception.
func checkSecureURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s is plain HTTP on a non-loopback host", raw)
	default:
		return fmt.Errorf("%s has unsupported scheme %q", raw, u.Scheme)
	}
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// register POSTs an RFC 7591 §3.1 client registration request to the
// issuer's /register and ignores the outcome. Only the register variant
// calls it: a WIF client needs no registration.
func (h *JWTBearerHandler) register(ctx context.Context, issuer string) {
	body, _ := json.Marshal(map[string]any{
		"client_name":                "wifdsl-refclient",
		"grant_types":                []string{GrantTypeJWTBearer},
		"token_endpoint_auth_method": "none",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(issuer, "/")+"/register", strings.NewReader(string(body)))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := h.http.Do(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxMetadata))
	resp.Body.Close()
}
