// Package refclient is the reference MCP client of wifdsl: a Workload
// Identity Federation client (SEP-1933) that exchanges a workload JWT for an
// MCP access token with the JWT-bearer authorization grant (RFC 7523 §2.1),
// plus deliberately broken variants of it, described as data ([Variant]).
//
// # The handler
//
// [JWTBearerHandler] implements the go-sdk's auth.OAuthHandler, so it plugs
// into mcp.StreamableClientTransport the way any Go SDK user would wire it:
//
//	h, err := refclient.NewJWTBearerHandler(refclient.JWTBearerConfig{Assertion: workloadJWT})
//	transport := &mcp.StreamableClientTransport{Endpoint: mcpURL, OAuthHandler: h}
//
// On the first 401 from the MCP server, Authorize
//
//  1. parses the WWW-Authenticate challenge (RFC 6750 §3, RFC 9728 §5.1) for
//     resource_metadata and scope;
//  2. fetches the protected resource metadata (RFC 9728 §3) from
//     resource_metadata, or from the well-known URLs derived from the MCP URL
//     (RFC 9728 §3.1), and takes the first authorization server;
//  3. fetches that server's metadata (RFC 8414 §3, OpenID Connect Discovery as
//     a fallback location) and, when grant_types_supported is present,
//     requires the JWT-bearer grant in it;
//  4. POSTs grant_type, assertion (the workload JWT, verbatim), resource
//     (RFC 8707 §2) and, only when the challenge carried one, scope to the
//     advertised token endpoint as application/x-www-form-urlencoded
//     (RFC 6749 §3.2, RFC 7523 §2.1);
//  5. parses the access token response (RFC 6749 §5.1) or the error response
//     (RFC 6749 §5.2), which it returns as an [*OAuthError].
//
// It never registers a client (RFC 7591), never uses the authorization
// endpoint, never retries a rejected request and never falls back to another
// grant. A failure is sticky: later calls to Authorize return the same error
// without contacting any server, so an SDK that re-sends a rejected request
// (the go-sdk does when it falls back from server/discover to initialize)
// still causes exactly one token request.
//
// # The command
//
// [Main] is the command behind examples/wifclient and the hidden reference
// client subcommand of the wifdsl CLI. It follows the client contract of the
// official MCP conformance harness:
//
//	wifclient [-bug NAME | -variant JSON] <mcp-server-url>
//
// with MCP_CONFORMANCE_CONTEXT holding JSON such as
// {"name":"auth/wif-jwt-bearer","client_id":"…","valid_jwt":"…"}; valid_jwt
// is used verbatim as the assertion. When the context has jwt_file (or
// WIFDSL_JWT_FILE is set), the assertion is instead read from that file
// each time a token is requested, so a rotated token is the one sent.
//
// The client trusts the system roots plus the certificates of the files
// named by WIFDSL_CA_FILE, SSL_CERT_FILE and NODE_EXTRA_CA_CERTS (how a
// harness in TLS mode hands over its CA). Workload JWTs go only over TLS,
// with loopback plain HTTP as the test exception: a plain-HTTP token
// endpoint is refused when the MCP server or the authorization server was
// reached over HTTPS, because that is a downgrade. MCP_CONFORMANCE_PROTOCOL_VERSION, when it
// names a version the go-sdk supports, is offered to the server. The client
// connects, lists the tools, calls "whoami" when the server has it, closes
// the session, prints one success line to stdout and exits 0. On any failure
// it prints an actionable error to stderr that names the OAuth error code,
// plus a hint line, and exits 1. Usage errors exit 2. The whole run is
// bounded by a 20 second deadline. The assertion and the access token are
// never printed: every line of output is scrubbed of them.
//
// # Broken variants
//
// A [Variant] is a set of deviations from conformant behaviour: extra,
// missing or repeated token request parameters, HTTP Basic credentials,
// another grant type, retries, a fallback or follow-up grant, skipped
// discovery, ignored expiry, other MCP request headers, printed lines, an
// exit code, a hang. It arrives as JSON with -variant or in the
// WIFDSL_CLIENT_VARIANT environment variable ([EnvVariant]), which is how
// wifdsl prove runs the variant blocks of scenario files; its fields are
// the attributes of those blocks.
//
// -bug NAME selects a named variant ([NamedVariant]) of the same
// mechanism. Each and the check it is meant to trip:
//
//   - retry: on a token error, repeats the token request three more times,
//     about 50 ms apart, before failing. Trips wif-no-retry.
//   - grant-fallback: on a token error, tries grant_type=client_credentials
//     with the context's client_id, then fails. Trips wif-grant-fallback.
//   - hang: on a token error, prints the error and then blocks forever. Trips
//     wif-fails-fast.
//   - hang-start: blocks forever before making any request.
//   - hang-success: after a successful MCP call, prints the success line and
//     then blocks forever instead of exiting.
//   - exit-zero: on any error, prints the proper error but exits 0. Trips
//     wif-exit-nonzero.
//   - vague: on any error, prints only "authorization failed" and exits 1.
//     Trips wif-error-surfaced.
//   - scope-as-grant: reports every token error as "invalid_grant: the
//     workload JWT was rejected". Trips wif-scope-error-distinct (and
//     wif-error-surfaced when the real code is invalid_scope).
//   - no-resource: omits the resource parameter. Trips wif-resource-indicator.
//   - ignore-scope: ignores the scope of the WWW-Authenticate challenge.
//     Trips the check in examples/scenarios/challenge-scope.hcl.
//   - no-protocol-version: strips the MCP-Protocol-Version header from MCP
//     requests. Trips the check in examples/scenarios/protocol-version.hcl.
//   - token-in-query: also appends ?access_token=<token> to every MCP request
//     URL, keeping the Authorization header. Trips wif-token-not-in-query.
//   - leak: prints the assertion and the access token (the assertion alone
//     when no token was issued) to stdout. Trips wif-no-secret-leak.
//   - self-assertion: ignores valid_jwt and signs its own JWT with a fresh
//     ES256 key, copying the claims of valid_jwt with a new jti. Trips
//     wif-assertion-verbatim and, as the signature does not verify,
//     wif-assertion-malformed.
//   - expired-jwt: presents the context's expired_jwt instead of valid_jwt,
//     as the official expired-assertion client does. Trips
//     wif-assertion-expired.
//   - wrong-audience-jwt: presents the context's wrong_audience_jwt instead
//     of valid_jwt, as the official wrong-audience client does. Trips
//     wif-assertion-audience.
//   - no-assertion: leaves the assertion parameter out of the token request,
//     as the official no-assertion client does. Trips wif-assertion-missing.
//   - quit: prints an error and exits 1 before any request. Trips the
//     official observations token-request, authorization-server-metadata,
//     prm-pathbased-requested and valid-bearer-token.
//   - forged-token: sends the MCP server "forged-" followed by the token it
//     was issued, a token no server issued. Trips invalid-bearer-token.
//   - json-body: sends the token request as application/json. Trips
//     wif-token-request-form.
//   - get-request: sends the token request as a GET with the parameters in
//     the query. Trips wif-token-request-post.
//   - client-credentials: the RFC 7523 §2.2 mix-up, grant_type=
//     client_credentials with client_assertion_type=urn:ietf:params:oauth:
//     client-assertion-type:jwt-bearer and client_assertion=<jwt>. Trips
//     wif-grant-type.
//   - repeated-params: sends grant_type twice. Trips wif-no-repeated-params.
//   - no-discovery: skips the RFC 8414 metadata and posts to the issuer
//     followed by "/token". Trips wif-discovery.
//   - register: POSTs an RFC 7591 registration request to the issuer followed
//     by "/register" first, ignores the outcome, then proceeds normally.
//     Trips wif-no-registration.
//   - no-bearer: sends the access token as "Authorization: Token <token>"
//     instead of Bearer. Trips wif-bearer-header.
//   - no-renewal: gives up when the MCP server calls its access token
//     invalid, instead of getting a new one once. Trips wif-reauthenticates.
//   - refresh-grant: after each successful token request, also tries the
//     refresh grant. Trips wif-no-refresh-grant.
//   - tls-downgrade: sends the assertion to the token endpoint the metadata
//     advertises even when it is http:// and the metadata came over HTTPS.
//     Trips wif-assertion-over-tls.
//   - stale-jwt-file: with a JWT file, reads it once at start, waits (up to
//     5 seconds) until the file was rewritten twice, then sends the copy it
//     read first. Trips wif-jwt-file-fresh.
//
// # The official extension flows
//
// When MCP_CONFORMANCE_SCENARIO names auth/client-credentials-basic,
// auth/client-credentials-jwt or auth/enterprise-managed-authorization, the
// client runs that flow instead, as the official example clients do:
// discovery (RFC 9728, RFC 8414), then a client_credentials request
// authenticated with client_secret_basic (RFC 6749 §2.3.1) or with a
// private_key_jwt client assertion signed with the context's key (RFC 7523
// §2.2); or an RFC 8693 token exchange of the context's ID token for an
// ID-JAG at the identity provider followed by a JWT-bearer grant with the
// ID-JAG, authenticated with client_secret_basic (SEP-990). Then an MCP
// session with the access token as a Bearer header. The variants retry,
// hang, hang-start, hang-success, exit-zero, vague, leak, no-resource,
// token-in-query and forged-token apply there too, and these only there:
//
//   - wrong-secret: sends a wrong client secret. Trips
//     client-credentials-basic-auth.
//   - secret-post: sends the client secret in the body (client_secret_post)
//     where Basic is required. Trips client-credentials-basic-auth.
//   - assertion-type: sends a wrong client_assertion_type. Trips
//     client-credentials-assertion-type.
//   - assertion-audience: signs the client assertion for another audience.
//     Trips client-credentials-jwt-verified.
//   - assertion-issuer: signs the client assertion with another iss. Trips
//     client-credentials-jwt-iss.
//   - assertion-subject: signs the client assertion with another sub. Trips
//     client-credentials-jwt-sub.
//   - no-client-auth: presents the ID-JAG without client authentication.
//     Trips complete-flow-jwt-bearer.
//   - wrong-grant: sends grant_type=password. Trips
//     client-credentials-grant-type.
//   - grant-without-id-jag: when the token exchange fails, presents the ID
//     token itself to the authorization server. Trips no-grant-without-id-jag.
//
// In these flows no-discovery skips all discovery and posts to the MCP
// server's origin followed by "/token", and leak also prints the secrets of
// the context before the first request.
//
// Hostile variants, for testing the runner's robustness rather than a check:
//
//   - crash: on a token error, prints the error and kills itself with
//     SIGKILL, so it dies by a signal.
//   - fork: starts a child "sleep 300" in the client's own process group,
//     holding its stdout and stderr, that outlives it; then behaves
//     conformantly.
//   - flood: writes 300 MiB (or WIFDSL_CLIENT_FLOOD_MIB) to stdout in
//     64 KiB chunks, then behaves conformantly.
//   - hammer: sends 10,000 (or WIFDSL_CLIENT_HAMMER_COUNT) token requests
//     as fast as it can over one keep-alive connection, bounded by that
//     count and a 20 second deadline, then fails.
//
// [Bugs] lists the names; the variant blocks of scenarios.hcl and the
// examples that share a name with one describe the same client.
package refclient
