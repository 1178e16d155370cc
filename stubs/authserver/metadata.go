package authserver

import (
	"fmt"
	"slices"

	"github.com/wifdsl/wifdsl/stubs/internal/dpop"
	"github.com/wifdsl/wifdsl/stubs/internal/metadoc"
)

// MetadataPaths are the paths, relative to the origin, where the metadata
// of an issuer with path issuerPath is served, in the order of at (nil
// means MetadataOAuth and MetadataOpenID).
func MetadataPaths(issuerPath string, at []string) []string {
	if at == nil {
		at = []string{MetadataOAuth, MetadataOpenID}
	}
	var out []string
	for _, loc := range at {
		var p string
		switch loc {
		case MetadataOAuth:
			p = PathMetadata + issuerPath
		case MetadataOAuthRoot:
			p = PathMetadata
		case MetadataOpenID:
			p = issuerPath + PathOIDCMetadata
		case MetadataOpenIDRoot:
			p = PathOIDCMetadata
		case MetadataOpenIDInserted:
			p = PathOIDCMetadata + issuerPath
		default:
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// buildMetadata encodes the RFC 8414 §2 metadata document.
func (s *Server) buildMetadata() ([]byte, error) {
	methods := s.authMethods()
	m := map[string]any{
		"issuer":                                s.url,
		"authorization_endpoint":                s.url + PathAuthorize,
		"token_endpoint":                        s.AdvertisedTokenEndpoint(),
		"jwks_uri":                              s.JWKSURL(),
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 s.grants,
		"token_endpoint_auth_methods_supported": methods,
		// Advertised because an authorization endpoint is: clients built on
		// the MCP Go SDK refuse metadata without PKCE support.
		"code_challenge_methods_supported": []string{"S256"},
	}
	if len(s.cfg.ScopesSupported) > 0 {
		m["scopes_supported"] = s.cfg.ScopesSupported
	}
	if s.cfg.Registration {
		m["registration_endpoint"] = s.url + PathRegister
	}
	if s.authorizes() {
		m["authorization_response_iss_parameter_supported"] = true // RFC 9207 §3
	}
	if s.cfg.DPoP != nil {
		m["dpop_signing_alg_values_supported"] = dpop.AdvertisedAlgs // RFC 9449 §5.1
	}
	if slices.Contains(methods, AuthPrivateKeyJWT) {
		m["token_endpoint_auth_signing_alg_values_supported"] = []string{"ES256", "ES384", "RS256", "PS256", "EdDSA"}
	}
	b, err := metadoc.Encode(m, s.cfg.MetadataFields)
	if err != nil {
		return nil, fmt.Errorf("authserver: %w", err)
	}
	return b, nil
}

// authMethods are the client authentication methods the token endpoint
// accepts.
func (s *Server) authMethods() []string {
	if len(s.cfg.TokenEndpointAuthMethods) == 0 {
		return []string{AuthNone}
	}
	return slices.Clone(s.cfg.TokenEndpointAuthMethods)
}
