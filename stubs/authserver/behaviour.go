package authserver

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Behaviour is what a server started from a [Config] does, with every
// default applied. [New] starts servers from it, so a plan that shows a
// Behaviour shows what the running server answers.
type Behaviour struct {
	Name                string
	GrantTypesSupported []string
	Registration        bool
	ScopesSupported     []string
	// Leeway is the clock skew tolerated on exp, nbf and iat; zero means none.
	Leeway time.Duration
	// TokenTTL is expires_in of issued access tokens.
	TokenTTL time.Duration
	// VerifyAssertion is false when assertions are taken at face value.
	VerifyAssertion bool
	// Rules answer in order, after the built-in checks pass.
	Rules []RuleAnswer
}

// RuleAnswer is the response a rule gives when it matches.
type RuleAnswer struct {
	Name             string
	Status           int
	Error            string
	ErrorDescription string
}

// Answer returns the status and error code the rule answers with, its
// defaults applied: invalid_grant, and 400, or 401 for invalid_client
// (RFC 6749 §5.2).
func (r Rule) Answer() RuleAnswer {
	code := r.Error
	if code == "" {
		code = "invalid_grant"
	}
	status := r.Status
	if status == 0 {
		status = http.StatusBadRequest
		if code == "invalid_client" {
			status = http.StatusUnauthorized
		}
	}
	return RuleAnswer{Name: r.Name, Status: status, Error: code, ErrorDescription: r.ErrorDescription}
}

// Behaviour returns what a server started from c does.
func (c Config) Behaviour() Behaviour {
	b := Behaviour{
		Name:                c.Name,
		GrantTypesSupported: slices.Clone(c.GrantTypesSupported),
		Registration:        c.Registration,
		ScopesSupported:     slices.Clone(c.ScopesSupported),
		Leeway:              c.Leeway,
		TokenTTL:            c.TokenTTL,
		VerifyAssertion:     !c.SkipVerification,
	}
	if b.Name == "" {
		b.Name = DefaultName
	}
	if len(b.GrantTypesSupported) == 0 {
		b.GrantTypesSupported = []string{GrantJWTBearer}
	}
	switch {
	case b.Leeway == 0:
		b.Leeway = DefaultLeeway
	case b.Leeway < 0:
		b.Leeway = 0
	}
	if b.TokenTTL <= 0 {
		b.TokenTTL = DefaultTokenTTL
	}
	for _, r := range c.Rules {
		b.Rules = append(b.Rules, r.Answer())
	}
	return b
}

// URLs are the URLs of a server on origin configured by c, by the names
// the scenario language exposes them under. metadata_url is the first
// location the metadata is served at ("" for none).
func URLs(origin string, c Config) map[string]string {
	issuer := origin + strings.TrimSuffix(c.IssuerPath, "/")
	meta := ""
	if ps := MetadataPaths(strings.TrimSuffix(c.IssuerPath, "/"), c.MetadataAt); len(ps) > 0 {
		meta = origin + ps[0]
	}
	return map[string]string{
		"url":                    issuer,
		"origin":                 origin,
		"issuer":                 issuer,
		"token_endpoint":         issuer + PathToken,
		"authorization_endpoint": issuer + PathAuthorize,
		"registration_endpoint":  issuer + PathRegister,
		"metadata_url":           meta,
		"jwks_url":               issuer + PathJWKS,
	}
}
