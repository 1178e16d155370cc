package refclient

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/oauth2"
)

// The official scenarios whose flows the reference client runs besides
// the JWT-bearer grant of Workload Identity Federation; it tells them
// apart by MCP_CONFORMANCE_SCENARIO, as the official clients do.
const (
	scenarioClientCredentialsBasic = "auth/client-credentials-basic"
	scenarioClientCredentialsJWT   = "auth/client-credentials-jwt"
	scenarioEnterpriseManaged      = "auth/enterprise-managed-authorization"
)

// Token types and grants of the enterprise-managed flow (RFC 8693, SEP-990).
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeIDJAG     = "urn:ietf:params:oauth:token-type:id-jag"
)

// flowContext holds the context fields of the flows of this file.
type flowContext struct {
	ClientID         string `json:"client_id"`
	ClientSecret     string `json:"client_secret"`
	PrivateKeyPEM    string `json:"private_key_pem"`
	SigningAlgorithm string `json:"signing_algorithm"`
	IDPClientID      string `json:"idp_client_id"`
	IDPIDToken       string `json:"idp_id_token"`
	IDPIssuer        string `json:"idp_issuer"`
	IDPTokenEndpoint string `json:"idp_token_endpoint"`
}

// isFlowScenario reports whether the scenario is one of this file's.
func isFlowScenario(s string) bool {
	return s == scenarioClientCredentialsBasic || s == scenarioClientCredentialsJWT || s == scenarioEnterpriseManaged
}

// flow runs the scenario's flow: discovery, the token request(s), then an
// MCP session with the access token.
func (r *run) flow(ctx context.Context, scenario string, fc flowContext) int {
	r.addSecret(fc.ClientSecret, fc.PrivateKeyPEM, fc.IDPIDToken)
	if r.v.PrintSecrets {
		fmt.Fprintf(r.stdout, "wifclient: debug: context secrets: %s %s %s\n", fc.ClientSecret, fc.PrivateKeyPEM, fc.IDPIDToken)
	}
	c := &http.Client{Transport: r.newHTTPTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if r.v.SkipDiscovery {
		// Guesses that the authorization server is the MCP server's origin.
		u, err := url.Parse(r.url)
		if err != nil {
			return r.flowFail(ctx, err)
		}
		_, err = r.tokenRequest(ctx, c, u.Scheme+"://"+u.Host+"/token", url.Values{"grant_type": {"client_credentials"}}, fc.ClientID, fc.ClientSecret)
		if err == nil {
			err = errors.New("refclient: no token endpoint at the MCP server's origin")
		}
		return r.flowFail(ctx, err)
	}
	prm, err := protectedResourceMetadata(ctx, c, "", r.url)
	if err != nil {
		return r.flowFail(ctx, err)
	}
	issuer := prm.AuthorizationServers[0]
	asm, err := authServerMetadata(ctx, c, issuer)
	if err != nil {
		return r.flowFail(ctx, err)
	}
	resource := prm.Resource
	if slices.Contains(r.v.OmitParams, "resource") {
		resource = ""
	}
	var form url.Values
	var basicID, basicSecret string
	switch scenario {
	case scenarioClientCredentialsBasic:
		form = url.Values{"grant_type": {"client_credentials"}}
		basicID, basicSecret = fc.ClientID, fc.ClientSecret
		if r.v.ClientSecret != "" {
			basicSecret = r.v.ClientSecret
		}
		if r.v.ClientAuth == "post" {
			form.Set("client_id", fc.ClientID)
			form.Set("client_secret", basicSecret)
			basicID = ""
		}
	case scenarioClientCredentialsJWT:
		form = url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {clientAssertionTypeJWTBearer}}
		assertion, err := r.clientAssertion(fc, asm.Issuer)
		if err != nil {
			return r.flowFail(ctx, err)
		}
		r.addSecret(assertion)
		form.Set("client_assertion", assertion)
		if t := r.v.ClientAssertionType; t != "" {
			form.Set("client_assertion_type", t)
		}
	case scenarioEnterpriseManaged:
		jag, err := r.exchange(ctx, c, fc, asm.Issuer, resource)
		if err != nil && r.v.IgnoreExchangeError {
			// Presents the ID token itself as the grant.
			jag, err = fc.IDPIDToken, nil
		}
		if err != nil {
			return r.flowFail(ctx, err)
		}
		r.addSecret(jag)
		form = url.Values{"grant_type": {GrantTypeJWTBearer}, "assertion": {jag}}
		basicID, basicSecret = fc.ClientID, fc.ClientSecret
		if r.v.ClientAuth == "none" {
			basicID = ""
		}
	}
	if g := r.v.GrantType; g != "" {
		form.Set("grant_type", g)
	}
	if resource != "" && scenario != scenarioEnterpriseManaged {
		form.Set("resource", resource)
	}
	tok, err := r.tokenRequest(ctx, c, asm.TokenEndpoint, form, basicID, basicSecret)
	if err != nil {
		var oerr *OAuthError
		if errors.As(err, &oerr) {
			for range r.v.Retries {
				time.Sleep(r.v.retryDelay())
				_, _ = r.tokenRequest(ctx, c, asm.TokenEndpoint, form, basicID, basicSecret)
			}
		}
		return r.flowFail(ctx, err)
	}
	r.addSecret(tok.AccessToken, tok.RefreshToken)
	if r.v.PrintSecrets {
		fmt.Fprintf(r.stdout, "wifclient: debug: access_token=%s\n", tok.AccessToken)
	}
	bearer := tok.AccessToken
	if r.v.ForgedToken {
		bearer = "forged-" + bearer
	}
	line, err := r.bearerSession(ctx, bearer)
	if err != nil {
		return r.flowFail(ctx, err)
	}
	r.println(r.stdout, line)
	if r.v.Hang == "after_success" {
		blockForever()
	}
	return 0
}

// flowFail reports err and returns the exit status, with the variants that
// change how a failure ends.
func (r *run) flowFail(ctx context.Context, err error) int {
	var oerr *OAuthError
	isOAuth := errors.As(err, &oerr)
	if r.v.ErrorOutput != "" {
		fmt.Fprintln(r.stderr, r.v.ErrorOutput)
		return exitCode(r.v, 1)
	}
	if isOAuth {
		head := "wifclient: token request rejected: " + r.clean(oerr.Code)
		if oerr.Description != "" {
			head += ": " + r.clean(oerr.Description)
		}
		r.println(r.stderr, head)
		r.println(r.stderr, hintFor(oerr.Code, tokenParams{}))
		if r.v.Hang == "after_error" {
			blockForever()
		}
	} else {
		r.println(r.stderr, "wifclient: "+r.clean(strings.TrimPrefix(err.Error(), "refclient: ")))
	}
	return exitCode(r.v, 1)
}

// tokenRequest posts form to endpoint, with HTTP Basic client
// authentication (RFC 6749 §2.3.1) when id is set.
func (r *run) tokenRequest(ctx context.Context, c *http.Client, endpoint string, form url.Values, id, secret string) (*oauth2.Token, error) {
	if err := checkSecureURL(endpoint); err != nil {
		return nil, fmt.Errorf("refclient: token endpoint: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if id != "" {
		// RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("refclient: token request to %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	return parseTokenResponse(resp)
}

// clientAssertion signs the RFC 7523 §2.2 client assertion with the
// context's private key: iss = sub = client_id, aud = the issuer.
func (r *run) clientAssertion(fc flowContext, issuer string) (string, error) {
	block, _ := pem.Decode([]byte(fc.PrivateKeyPEM))
	if block == nil {
		return "", errors.New("refclient: private_key_pem is not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("refclient: private_key_pem: %w", err)
	}
	alg := fc.SigningAlgorithm
	if alg == "" {
		alg = "ES256"
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key.(crypto.Signer)},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("refclient: signer: %w", err)
	}
	iss, sub, aud := fc.ClientID, fc.ClientID, issuer
	iss = cmpOr(r.v.ClientAssertionIssuer, iss)
	sub = cmpOr(r.v.ClientAssertionSubject, sub)
	aud = cmpOr(r.v.ClientAssertionAudience, aud)
	now := time.Now()
	claims := fmt.Sprintf(`{"iss":%q,"sub":%q,"aud":%q,"iat":%d,"exp":%d,"jti":%q}`,
		iss, sub, aud, now.Unix(), now.Add(5*time.Minute).Unix(), uuid.NewString())
	jws, err := signer.Sign([]byte(claims))
	if err != nil {
		return "", fmt.Errorf("refclient: signing the client assertion: %w", err)
	}
	return jws.CompactSerialize()
}

// exchange trades the identity provider's ID token for an ID-JAG (RFC 8693
// token exchange, SEP-990) for the authorization server issuer and the
// MCP resource.
func (r *run) exchange(ctx context.Context, c *http.Client, fc flowContext, issuer, resource string) (string, error) {
	form := url.Values{
		"grant_type":           {grantTokenExchange},
		"requested_token_type": {tokenTypeIDJAG},
		"audience":             {issuer},
		"resource":             {resource},
		"subject_token":        {fc.IDPIDToken},
		"subject_token_type":   {tokenTypeIDToken},
		"client_id":            {fc.IDPClientID},
	}
	if resource == "" {
		form.Del("resource")
	}
	if fc.IDPTokenEndpoint == "" {
		return "", errors.New("refclient: the context has no idp_token_endpoint")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fc.IDPTokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("refclient: token exchange at %s: %w", fc.IDPTokenEndpoint, err)
	}
	defer resp.Body.Close()
	tok, err := parseExchangeResponse(resp)
	if err != nil {
		return "", err
	}
	return tok, nil
}

// parseExchangeResponse reads an RFC 8693 §2.2 response that must issue an
// ID-JAG; its token_type is N_A.
func parseExchangeResponse(resp *http.Response) (string, error) {
	var tr struct {
		AccessToken      string `json:"access_token"`
		IssuedTokenType  string `json:"issued_token_type"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := decodeJSON(resp, &tr); err != nil {
		return "", err
	}
	if tr.Error != "" {
		return "", &OAuthError{Code: tr.Error, Description: tr.ErrorDescription, Status: resp.StatusCode}
	}
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		return "", fmt.Errorf("refclient: token exchange answered HTTP %d without an ID-JAG", resp.StatusCode)
	}
	if tr.IssuedTokenType != tokenTypeIDJAG {
		return "", fmt.Errorf("refclient: token exchange issued %q, not an ID-JAG", tr.IssuedTokenType)
	}
	return tr.AccessToken, nil
}

// bearerSession runs an MCP session with token sent as a Bearer header on
// every request: lists the tools and calls test-tool or whoami.
func (r *run) bearerSession(ctx context.Context, token string) (string, error) {
	var rt http.RoundTripper = staticBearer{base: r.newHTTPTransport(), token: token}
	if r.v.TokenInQuery {
		rt = tokenInQuery{base: rt}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "wifdsl-refclient", Version: "1.0.0"}, nil)
	transport := &mcp.StreamableClientTransport{Endpoint: r.url, HTTPClient: &http.Client{Transport: rt}, DisableStandaloneSSE: true}
	var opts *mcp.ClientSessionOptions
	if r.protocolVersion != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: r.protocolVersion}
	}
	cs, err := client.Connect(ctx, transport, opts)
	if err != nil {
		return "", fmt.Errorf("refclient: connecting to %s: %w", r.url, err)
	}
	defer cs.Close()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("refclient: tools/list: %w", err)
	}
	called := "none"
	for _, name := range []string{"test-tool", "whoami"} {
		for _, t := range res.Tools {
			if t.Name == name && called == "none" {
				out, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
				if err != nil {
					return "", fmt.Errorf("refclient: tools/call %s: %w", name, err)
				}
				called = fmt.Sprintf("%s → %q", name, r.clean(firstText(out)))
			}
		}
	}
	return fmt.Sprintf("wifclient: ok: authorized; %d tool(s) listed; called %s", len(res.Tools), called), nil
}

// staticBearer sends a fixed access token in the Authorization header.
type staticBearer struct {
	base  http.RoundTripper
	token string
}

func (t staticBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(req)
}

// decodeJSON decodes a bounded JSON body into v.
func decodeJSON(resp *http.Response, v any) error {
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTokenResponse)).Decode(v); err != nil {
		return fmt.Errorf("refclient: decoding the response (HTTP %d): %w", resp.StatusCode, err)
	}
	return nil
}

// exitCode is the variant's exit code, or def.
func exitCode(v Variant, def int) int {
	if v.ExitCode != nil {
		return *v.ExitCode
	}
	return def
}
