package refclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

// GrantTypeJWTBearer is the grant_type of the JWT-bearer authorization grant
// (RFC 7523 §2.1).
const GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// clientAssertionTypeJWTBearer is the client_assertion_type of JWT client
// authentication (RFC 7523 §2.2); only the client-credentials variant sends it.
const clientAssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ErrJWTBearerNotSupported is returned (wrapped) when the authorization
// server metadata lists grant_types_supported (RFC 8414 §2) without the
// JWT-bearer grant.
var ErrJWTBearerNotSupported = errors.New("refclient: authorization server does not support the JWT-bearer grant")

// ErrTokenRefused is returned (wrapped) by Authorize when the MCP server
// challenges a request that carried the still-valid access token the
// handler obtained (RFC 6750 §3.1): the resource server refused the token.
var ErrTokenRefused = errors.New("refclient: the MCP server refused the issued access token")

// OAuthError is an error response of the token endpoint (RFC 6749 §5.2).
type OAuthError struct {
	// Code is the error parameter, e.g. "invalid_grant" or "invalid_scope".
	Code string
	// Description is the optional error_description parameter.
	Description string
	// URI is the optional error_uri parameter.
	URI string
	// Status is the HTTP status code of the response.
	Status int
	// RetryAfter is the delay of a Retry-After header in seconds (RFC 9110
	// §10.2.3), zero when there is none.
	RetryAfter time.Duration
}

// Error names the OAuth error code and, when present, its description.
func (e *OAuthError) Error() string {
	s := "oauth2: token request failed: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// JWTBearerConfig configures a [JWTBearerHandler].
type JWTBearerConfig struct {
	// Assertion is the workload JWT sent, verbatim, as the assertion
	// parameter of the token request (RFC 7523 §2.1). Required unless
	// AssertionFile is set.
	Assertion string
	// AssertionFile names a file holding the workload JWT, as platforms
	// deliver it (a Kubernetes projected token, AWS_WEB_IDENTITY_TOKEN_FILE).
	// When set, the file is read each time a token is requested, so a
	// rotated token is always the one sent; Assertion is then ignored.
	AssertionFile string
	// HTTPClient sends the discovery and token requests. Nil means
	// http.DefaultClient. Redirects of the token request are never followed,
	// so the assertion only goes to the advertised token endpoint.
	HTTPClient *http.Client
	// Scopes are requested (RFC 6749 §3.3) when the WWW-Authenticate
	// challenge carries no scope. Nil sends no scope parameter in that case.
	Scopes []string
	// ResourceURL is the MCP server URL whose protected resource metadata is
	// looked up and checked (RFC 9728 §3.3). Empty means the URL of the
	// request that was challenged, without query or fragment.
	ResourceURL string
}

// JWTBearerHandler is an auth.OAuthHandler that obtains an MCP access token
// with the JWT-bearer authorization grant (RFC 7523 §2.1), discovering the
// token endpoint through protected resource metadata (RFC 9728) and
// authorization server metadata (RFC 8414). Create one with
// NewJWTBearerHandler; it is safe for concurrent use.
type JWTBearerHandler struct {
	cfg  JWTBearerConfig
	http *http.Client

	// variant breaks behaviour on purpose; the zero value in the
	// conformant client.
	variant Variant
	// clientID is the context client_id, used only by the fallback_grant
	// and then_grant deviations.
	clientID string

	flow sync.Mutex // serializes Authorize
	// renewed is set once a token the resource called invalid was
	// replaced; a second such refusal is final.
	renewed bool

	mu       sync.Mutex
	token    *oauth2.Token
	err      error       // the first failure; sticky
	params   tokenParams // of the last token request, for error reports
	endpoint string      // the token endpoint of the last token request
}

var _ auth.OAuthHandler = (*JWTBearerHandler)(nil)

// NewJWTBearerHandler returns a handler for cfg. It fails when cfg has no
// assertion.
func NewJWTBearerHandler(cfg JWTBearerConfig) (*JWTBearerHandler, error) {
	if cfg.Assertion == "" && cfg.AssertionFile == "" {
		return nil, errors.New("refclient: JWTBearerConfig.Assertion or AssertionFile is required")
	}
	c := cfg.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	return &JWTBearerHandler{cfg: cfg, http: c}, nil
}

// TokenSource returns a source of the access token obtained by Authorize, or
// nil before a token was obtained (the transport then sends no Authorization
// header). Once the token's expires_in has passed, the source requests a
// new one with the same assertion before it is used again.
func (h *JWTBearerHandler) TokenSource(ctx context.Context) (oauth2.TokenSource, error) {
	h.mu.Lock()
	tok := h.token
	h.mu.Unlock()
	if tok == nil {
		return nil, nil
	}
	if !expired(tok) || h.variant.IgnoreExpiry {
		return oauth2.StaticTokenSource(tok), nil
	}
	if err := h.renew(ctx); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return oauth2.StaticTokenSource(h.token), nil
}

// expired reports whether the token's expires_in has passed. Unlike
// oauth2.Token.Valid it allows no early margin, so that a short-lived
// token is used for as long as the server said.
func expired(tok *oauth2.Token) bool {
	return !tok.Expiry.IsZero() && !time.Now().Before(tok.Expiry)
}

// renew replaces an expired access token with a new one from the same
// token endpoint, with the same parameters.
func (h *JWTBearerHandler) renew(ctx context.Context) error {
	h.flow.Lock()
	defer h.flow.Unlock()
	h.mu.Lock()
	tok, endpoint, p, prevErr := h.token, h.endpoint, h.params, h.err
	h.mu.Unlock()
	if prevErr != nil {
		return prevErr
	}
	if tok != nil && !expired(tok) {
		return nil // renewed meanwhile
	}
	nt, err := h.requestToken(ctx, endpoint, h.tokenForm(p))
	if err != nil {
		return h.fail(err)
	}
	h.mu.Lock()
	h.token = nt
	h.mu.Unlock()
	return nil
}

// Err returns the error of the failed authorization, or nil.
func (h *JWTBearerHandler) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Authorize runs the JWT-bearer flow after the MCP server answered resp (a
// 401 or 403) to req. It closes resp.Body.
//
// Once a flow failed, Authorize returns that error again without any request.
// When a token was already obtained and has not expired, a new challenge
// means the resource server refused it (RFC 6750 §3.1); presenting the same
// assertion again cannot help, so Authorize fails instead of repeating the
// grant.
func (h *JWTBearerHandler) Authorize(ctx context.Context, req *http.Request, resp *http.Response) error {
	if resp != nil && resp.Body != nil {
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	}
	h.flow.Lock()
	defer h.flow.Unlock()

	h.mu.Lock()
	prevErr, prevTok := h.err, h.token
	h.mu.Unlock()
	if prevErr != nil {
		return prevErr
	}
	if prevTok != nil && prevTok.Valid() {
		// A token the resource calls invalid (RFC 6750 §3.1), such as one
		// that expired early or was revoked, is replaced once with a
		// fresh exchange; any other refusal is final.
		c, _ := parseChallenge(resp)
		if c.errorCode != "invalid_token" || h.renewed || h.variant.NoRenewal {
			return h.fail(fmt.Errorf("%w: HTTP %d%s", ErrTokenRefused, statusOf(resp), challengeErrorSuffix(resp)))
		}
		h.renewed = true
	}

	tok, err := h.authorize(ctx, req, resp)
	if err != nil {
		return h.fail(err)
	}
	h.mu.Lock()
	h.token = tok
	h.mu.Unlock()
	return nil
}

// lastParams returns the parameters of the last token request.
func (h *JWTBearerHandler) lastParams() tokenParams {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.params
}

func (h *JWTBearerHandler) fail(err error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = err
	}
	return h.err
}

// challenge is what a Bearer WWW-Authenticate challenge told the client
// (RFC 6750 §3, RFC 9728 §5.1).
type challenge struct {
	resourceMetadata string
	scope            string
	errorCode        string
}

func parseChallenge(resp *http.Response) (challenge, error) {
	var c challenge
	if resp == nil {
		return c, nil
	}
	cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return c, fmt.Errorf("refclient: parsing WWW-Authenticate: %w", err)
	}
	for _, ch := range cs {
		if ch.Scheme != "bearer" {
			continue
		}
		c.resourceMetadata = ch.Params["resource_metadata"]
		c.scope = ch.Params["scope"]
		c.errorCode = ch.Params["error"]
		break
	}
	return c, nil
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

func challengeErrorSuffix(resp *http.Response) string {
	c, err := parseChallenge(resp)
	if err != nil || c.errorCode == "" {
		return ""
	}
	return " (" + c.errorCode + ")"
}

// tokenParams are the values of one token request.
type tokenParams struct {
	assertion string
	resource  string
	scope     string
}

func (h *JWTBearerHandler) authorize(ctx context.Context, req *http.Request, resp *http.Response) (*oauth2.Token, error) {
	ch, err := parseChallenge(resp)
	if err != nil {
		return nil, err
	}
	resourceURL := h.cfg.ResourceURL
	if resourceURL == "" {
		if req == nil || req.URL == nil {
			return nil, errors.New("refclient: no resource URL: the challenged request has no URL and JWTBearerConfig.ResourceURL is empty")
		}
		u := *req.URL
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
		resourceURL = u.String()
	}

	prm, err := protectedResourceMetadata(ctx, h.http, ch.resourceMetadata, resourceURL)
	if err != nil {
		return nil, err
	}
	issuer := prm.AuthorizationServers[0]

	if h.variant.Register {
		h.register(ctx, issuer)
	}

	var tokenEndpoint string
	if h.variant.SkipDiscovery {
		tokenEndpoint = strings.TrimSuffix(issuer, "/") + "/token"
	} else {
		asm, err := authServerMetadata(ctx, h.http, issuer)
		if err != nil {
			return nil, err
		}
		if len(asm.GrantTypesSupported) > 0 && !slices.Contains(asm.GrantTypesSupported, GrantTypeJWTBearer) {
			return nil, fmt.Errorf("%w: %s advertises grant_types_supported %q without %s (RFC 8414 §2)",
				ErrJWTBearerNotSupported, issuer, asm.GrantTypesSupported, GrantTypeJWTBearer)
		}
		tokenEndpoint = asm.TokenEndpoint
	}
	if err := checkSecureURL(tokenEndpoint); err != nil {
		return nil, fmt.Errorf("refclient: token endpoint: %w", err)
	}
	if !h.variant.FollowDowngrade {
		if err := checkNoDowngrade(tokenEndpoint, resourceURL, issuer); err != nil {
			return nil, err
		}
	}

	assertion := h.cfg.Assertion
	if h.cfg.AssertionFile != "" {
		if assertion, err = readJWTFile(h.cfg.AssertionFile); err != nil {
			return nil, err
		}
	}
	p := tokenParams{assertion: assertion, resource: prm.Resource, scope: ch.scope}
	if h.variant.IgnoreChallengeScope {
		p.scope = ""
	}
	if h.variant.Scope != "" {
		p.scope = h.variant.Scope
	}
	if p.scope == "" && len(h.cfg.Scopes) > 0 {
		p.scope = strings.Join(h.cfg.Scopes, " ")
	}
	h.mu.Lock()
	h.params = p
	h.endpoint = tokenEndpoint
	h.mu.Unlock()

	if h.variant.Hostile == "hammer" {
		return nil, h.hammer(ctx, tokenEndpoint, p)
	}

	tok, err := h.requestToken(ctx, tokenEndpoint, h.tokenForm(p))
	if err == nil {
		if g := h.variant.ThenGrant; g != "" {
			form := h.otherGrant(g, p)
			if g == "refresh_token" {
				form.Set("refresh_token", cmpOr(tok.RefreshToken, tok.AccessToken))
			}
			if nt, terr := h.postForm(ctx, tokenEndpoint, form); terr == nil {
				return nt, nil
			}
		}
		return tok, nil
	}
	var oerr *OAuthError
	// temporarily_unavailable (RFC 6749 §5.2) with a Retry-After the client
	// can honour: one more attempt once the delay has passed, never more.
	if errors.As(err, &oerr) && oerr.Code == "temporarily_unavailable" && oerr.RetryAfter > 0 && oerr.RetryAfter <= maxRetryAfter && h.variant.Retries == 0 {
		if sleepCtx(ctx, oerr.RetryAfter) == nil {
			tok, err = h.requestToken(ctx, tokenEndpoint, h.tokenForm(p))
			if err == nil {
				return tok, nil
			}
		}
	}
	if errors.As(err, &oerr) {
		for range h.variant.Retries {
			if sleepCtx(ctx, h.variant.retryDelay()) != nil {
				break
			}
			if tok, rerr := h.requestToken(ctx, tokenEndpoint, h.tokenForm(p)); rerr == nil {
				return tok, nil
			}
		}
		if g := h.variant.FallbackGrant; g != "" {
			if tok, ferr := h.postForm(ctx, tokenEndpoint, h.otherGrant(g, p)); ferr == nil {
				return tok, nil
			}
		}
	}
	return nil, err
}

// maxRetryAfter is the longest Retry-After the client waits for.
const maxRetryAfter = 3 * time.Second

// otherGrant is the form of a token request with another grant type: the
// fallback_grant and then_grant deviations.
func (h *JWTBearerHandler) otherGrant(grant string, p tokenParams) url.Values {
	form := url.Values{"grant_type": {grant}}
	if h.clientID != "" && grant != "refresh_token" {
		form.Set("client_id", h.clientID)
	}
	if p.resource != "" {
		form.Set("resource", p.resource)
	}
	if p.scope != "" {
		form.Set("scope", p.scope)
	}
	return form
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
