// Package authserver owns the stub OAuth 2.0 authorization server of a test
// case: one loopback HTTP server that publishes RFC 8414 metadata and a JWK
// Set, answers RFC 7523 JWT-bearer token requests (RFC 6749 §3.2, §5.1,
// §5.2), rejects chosen requests on purpose through [Rule]s, and keeps a
// bounded record of every request it saw.
//
// The server listens on 127.0.0.1 only, on an ephemeral port. It verifies
// assertions through the [KeySet] interface (satisfied by *jwt.KeySet) and
// uses package jwt only to decode and validate claims.
//
// Endpoints, relative to [Server.URL]:
//
//	GET  /.well-known/oauth-authorization-server  RFC 8414 §3 metadata
//	GET  /.well-known/openid-configuration         the same document
//	GET  /jwks                                     RFC 7517 §5 JWK Set, if the KeySet has JWKS()
//	POST /token                                    RFC 6749 §3.2 token endpoint
//	GET|POST /authorize, POST /register            always fail; they exist to record fallbacks
//
// The token endpoint decides in a fixed order, and the first failing step
// answers: body size, method, content type and form syntax, repeated
// parameters (RFC 6749 §3.2), grant_type, the DPoP proof when
// [Config].DPoP is set (RFC 9449 §4.3, §8), client authentication, the
// grant's own checks (the RFC 7523 §3 assertion checks: signature, claims,
// replay; the authorization code; the refresh token), the configured
// [Rule]s, then success.
//
// Records are kept for the first [Config].MaxRecords requests; the counters
// stay exact beyond that, so a client that hammers the server costs bounded
// memory.
package authserver
