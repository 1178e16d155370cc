package refclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const (
	// maxTokenResponse bounds a token endpoint response body.
	maxTokenResponse = 1 << 20
	// hammerDeadline bounds the hammer variant in time; hammerCount (see
	// hostile.go) in requests.
	hammerDeadline = 20 * time.Second
)

// tokenForm builds the parameters of the access token request: grant_type,
// assertion and resource (RFC 7523 §2.1, RFC 8707 §2), plus scope
// (RFC 6749 §3.3) when one is wanted. Variants alter it here.
func (h *JWTBearerHandler) tokenForm(p tokenParams) url.Values {
	v := h.variant
	form := url.Values{}
	form.Set("grant_type", cmpOr(v.GrantType, GrantTypeJWTBearer))
	form.Set(cmpOr(v.AssertionParam, "assertion"), p.assertion)
	if p.resource != "" {
		form.Set("resource", p.resource)
	}
	if p.scope != "" {
		form.Set("scope", p.scope)
	}
	for k, val := range v.ExtraParams {
		form.Set(k, val)
	}
	for _, k := range v.OmitParams {
		form.Del(k)
	}
	for _, k := range v.RepeatParams {
		if vals := form[k]; len(vals) > 0 {
			form.Add(k, vals[0])
		} else {
			form[k] = []string{"", ""}
		}
	}
	return form
}

// requestToken sends form to the token endpoint: a POST with an
// application/x-www-form-urlencoded body (RFC 6749 §3.2, §4.1.3), or what a
// variant sends instead.
func (h *JWTBearerHandler) requestToken(ctx context.Context, endpoint string, form url.Values) (*oauth2.Token, error) {
	switch {
	case h.variant.TokenBody == "json":
		obj := make(map[string]string, len(form))
		for k := range form {
			obj[k] = form.Get(k)
		}
		body, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("refclient: encoding token request: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("refclient: token request: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		return h.send(req, endpoint)
	case strings.EqualFold(h.variant.TokenMethod, http.MethodGet):
		u, err := url.Parse(endpoint)
		if err != nil {
			return nil, fmt.Errorf("refclient: parsing token endpoint: %w", err)
		}
		q := u.Query()
		for k, vs := range form {
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("refclient: token request: %w", err)
		}
		return h.send(req, endpoint)
	default:
		return h.postForm(ctx, endpoint, form)
	}
}

// postForm POSTs form to the token endpoint as
// application/x-www-form-urlencoded (RFC 6749 §3.2).
func (h *JWTBearerHandler) postForm(ctx context.Context, endpoint string, form url.Values) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("refclient: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.send(req, endpoint)
}

// send performs one token request without following redirects, so the
// assertion reaches no other URL, and parses the answer.
func (h *JWTBearerHandler) send(req *http.Request, endpoint string) (*oauth2.Token, error) {
	req.Header.Set("Accept", "application/json")
	if id, secret, ok := strings.Cut(h.variant.BasicAuth, ":"); ok || id != "" {
		req.SetBasicAuth(id, secret)
	}
	c := *h.http
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		// A *url.Error repeats the request URL, which carries the
		// assertion in the get-request variant; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("refclient: token request to %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	tok, err := parseTokenResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("refclient: token endpoint %s: %w", endpoint, err)
	}
	return tok, nil
}

// tokenResponse is the access token response (RFC 6749 §5.1) or error
// response (RFC 6749 §5.2) of the token endpoint.
type tokenResponse struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	ExpiresIn        flexSeconds `json:"expires_in"`
	RefreshToken     string      `json:"refresh_token"`
	Scope            string      `json:"scope"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
	ErrorURI         string      `json:"error_uri"`
}

// flexSeconds decodes expires_in given as a JSON number or, as some servers
// send it, a string of digits.
type flexSeconds int64

// UnmarshalJSON accepts 3600 and "3600".
func (s *flexSeconds) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	if str == "" || str == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(str, 64)
		if ferr != nil {
			return fmt.Errorf("refclient: expires_in %s is not a number", b)
		}
		n = int64(f)
	}
	*s = flexSeconds(n)
	return nil
}

// parseTokenResponse turns a token endpoint answer into a token, an
// *OAuthError (RFC 6749 §5.2) or a plain error.
func parseTokenResponse(resp *http.Response) (*oauth2.Token, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if len(body) > maxTokenResponse {
		return nil, fmt.Errorf("response body exceeds %d bytes", maxTokenResponse)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if jsonErr == nil && tr.Error != "" {
		oerr := &OAuthError{Code: tr.Error, Description: tr.ErrorDescription, URI: tr.ErrorURI, Status: resp.StatusCode}
		if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs > 0 {
			oerr.RetryAfter = time.Duration(secs) * time.Second
		}
		return nil, oerr
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 400:
		return nil, fmt.Errorf("HTTP %d without an RFC 6749 §5.2 error response", resp.StatusCode)
	default:
		return nil, fmt.Errorf("unexpected HTTP %d", resp.StatusCode)
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("decoding access token response (RFC 6749 §5.1): %w", jsonErr)
	}
	if tr.AccessToken == "" {
		return nil, errors.New("access token response has no access_token (RFC 6749 §5.1)")
	}
	if !strings.EqualFold(tr.TokenType, "bearer") {
		return nil, fmt.Errorf("access token response has token_type %q, want Bearer (RFC 6750 §4)", tr.TokenType)
	}
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: "Bearer", RefreshToken: tr.RefreshToken}
	if tr.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
		tok.ExpiresIn = int64(tr.ExpiresIn)
	}
	if tr.Scope != "" {
		tok = tok.WithExtra(map[string]any{"scope": tr.Scope})
	}
	return tok, nil
}

// hammer is the hammer variant: the conformant token request, repeated
// hammerCount() times over keep-alive or until hammerDeadline, then a failure.
func (h *JWTBearerHandler) hammer(ctx context.Context, endpoint string, p tokenParams) error {
	ctx, cancel := context.WithTimeout(ctx, hammerDeadline)
	defer cancel()
	form := h.tokenForm(p)
	n := 0
	var last error
	total := hammerCount()
	for n < total && ctx.Err() == nil {
		_, err := h.postForm(ctx, endpoint, form)
		n++
		if err != nil {
			last = err
		}
	}
	if last == nil {
		return fmt.Errorf("refclient: hammer: sent %d token requests, giving up", n)
	}
	return fmt.Errorf("refclient: hammer: sent %d token requests, giving up: %w", n, last)
}
