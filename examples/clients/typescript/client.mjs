#!/usr/bin/env node
// Example MCP client for Workload Identity Federation (SEP-1933, extension
// io.modelcontextprotocol/auth/wif) built on the official TypeScript MCP SDK.
//
// The workload already holds a JWT issued by its platform. The client hands
// that JWT, verbatim, to the SDK's OAuth machinery as an RFC 7523 JWT-bearer
// grant. The SDK's StreamableHTTPClientTransport does everything else:
// the 401 challenge, Protected Resource Metadata (RFC 9728), Authorization
// Server Metadata (RFC 8414), the `resource` parameter (RFC 8707) and the
// `Authorization: Bearer` header on every MCP request.
//
// Contract (shared by wifdsl and the official conformance harness):
//
//   node client.mjs [--no-retry-guard] <mcp-server-url>
//
//   MCP_CONFORMANCE_SCENARIO          scenario name (informational)
//   MCP_CONFORMANCE_PROTOCOL_VERSION  MCP protocol version (informational)
//   MCP_CONFORMANCE_CONTEXT           JSON {name, client_id, valid_jwt,
//                                     wrong_audience_jwt, expired_jwt, scope?,
//                                     jwt_file?}
//
// When the context names a jwt_file (wifdsl's JWT-file cases; also
// WIFDSL_JWT_FILE), the workload JWT is read from that file for every
// token request, so a token the platform rotated is the one sent.
// HTTPS servers are trusted through NODE_EXTRA_CA_CERTS, which Node reads
// at start. The client never sends the workload JWT over plain HTTP once
// the MCP server or its metadata was reached over HTTPS (a downgrade):
// SDK 1.32.2 itself would follow an http:// token_endpoint.
//
// --no-retry-guard leaves the SDK's own behaviour after a rejected token
// request in place: SDK 1.32.2 runs the whole flow once more after
// invalid_grant, invalid_client or unauthorized_client. Without the flag the
// client stops that second attempt (see WorkloadIdentityProvider). The flag
// exists to measure the SDK itself; see examples/clients/typescript/README.md.
//
// Optional knobs for trying the error paths by hand (not part of the contract):
//
//   WIF_CLIENT_ASSERTION   which JWT from the context to present:
//                          valid (default) | wrong_audience | expired
//   WIF_CLIENT_SCOPE       scope to request; overrides every other source
//   WIF_CLIENT_TIMEOUT_MS  overall deadline for the whole run (default 20000)
//
// Exit status: 0 after connect, tools/list (and whoami when the server lists
// it) succeeded; 1 on any failure, with one line on stderr that names the
// OAuth error code when the authorization server answered with one.
// Assertions and access tokens are never printed.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { readFileSync } from 'node:fs';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_NAME = 'wifdsl-example-typescript';
const CLIENT_VERSION = '0.1.0';
const DEFAULT_TIMEOUT_MS = 20_000;

/** What each OAuth error code (RFC 6749 §5.2, RFC 7521 §4.1.1) means for a workload. */
const OAUTH_ERROR_HINTS = {
  invalid_grant:
    'the authorization server rejected the workload JWT (expired, wrong audience, untrusted issuer or subject, or replayed); obtain a fresh token from the platform',
  invalid_scope: 'the requested scope is not permitted for this workload; request a narrower scope or none',
  unauthorized_client: 'this workload is not allowed to use the JWT-bearer grant at this authorization server',
  invalid_client: 'the authorization server did not accept the client identification',
  invalid_request: 'the token request was malformed or missing a required parameter',
  unsupported_grant_type: 'the authorization server does not support the JWT-bearer grant',
  access_denied: 'the authorization server denied the request',
  server_error: 'the authorization server failed while handling the token request',
  temporarily_unavailable: 'the authorization server is temporarily unavailable'
};

/** Strings that must never reach stdout or stderr. */
const secrets = new Set();

/**
 * Replaces every known secret (assertions, access tokens) in `text`.
 * @param {string} text
 * @returns {string}
 */
function redact(text) {
  let out = String(text);
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * Thrown when the run cannot proceed; `code` is an OAuth error code when one is known.
 */
class ClientFailure extends Error {
  /**
   * @param {string} message
   * @param {{code?: string, description?: string}} [details]
   */
  constructor(message, details = {}) {
    super(message);
    this.name = 'ClientFailure';
    this.code = details.code;
    this.description = details.description;
  }
}

/**
 * @typedef {object} ConformanceContext
 * @property {string} [name]
 * @property {string} client_id
 * @property {string} valid_jwt
 * @property {string} [wrong_audience_jwt]
 * @property {string} [expired_jwt]
 * @property {string} [scope]
 * @property {string} [jwt_file]
 */

/**
 * Reads and checks MCP_CONFORMANCE_CONTEXT.
 * @returns {ConformanceContext}
 */
function readContext() {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) {
    throw new ClientFailure('MCP_CONFORMANCE_CONTEXT is not set; it must hold JSON with client_id and valid_jwt');
  }
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ClientFailure(`MCP_CONFORMANCE_CONTEXT is not valid JSON: ${err instanceof Error ? err.message : err}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ClientFailure('MCP_CONFORMANCE_CONTEXT must be a JSON object');
  }
  const ctx = /** @type {Record<string, unknown>} */ (parsed);
  for (const key of ['valid_jwt', 'wrong_audience_jwt', 'expired_jwt']) {
    if (typeof ctx[key] === 'string') secrets.add(/** @type {string} */ (ctx[key]));
  }
  if (typeof ctx.jwt_file !== 'string' || ctx.jwt_file === '') {
    ctx.jwt_file = process.env.WIFDSL_JWT_FILE || undefined;
  }
  for (const key of ctx.jwt_file ? ['client_id'] : ['client_id', 'valid_jwt']) {
    if (typeof ctx[key] !== 'string' || ctx[key] === '') {
      throw new ClientFailure(`MCP_CONFORMANCE_CONTEXT has no "${key}" string`);
    }
  }
  if (ctx.scope !== undefined && typeof ctx.scope !== 'string') {
    throw new ClientFailure('MCP_CONFORMANCE_CONTEXT "scope" must be a string when present');
  }
  return /** @type {ConformanceContext} */ (ctx);
}

/**
 * Picks the JWT to present; the valid one unless WIF_CLIENT_ASSERTION says otherwise.
 * @param {ConformanceContext} ctx
 * @returns {string}
 */
function selectAssertion(ctx) {
  const which = process.env.WIF_CLIENT_ASSERTION || 'valid';
  const key = `${which}_jwt`;
  if (!['valid_jwt', 'wrong_audience_jwt', 'expired_jwt'].includes(key)) {
    throw new ClientFailure(`WIF_CLIENT_ASSERTION must be valid, wrong_audience or expired, not "${which}"`);
  }
  const jwt = /** @type {Record<string, unknown>} */ (ctx)[key];
  if (typeof jwt !== 'string' || jwt === '') {
    throw new ClientFailure(`MCP_CONFORMANCE_CONTEXT has no "${key}" string`);
  }
  return jwt;
}

/**
 * Reads the workload JWT from the file the platform keeps it in; called for
 * every token request, so a rotated JWT is always the one sent.
 * @param {string} path
 * @returns {string}
 */
function readJWTFile(path) {
  let jwt;
  try {
    jwt = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ClientFailure(`cannot read the JWT file ${path}: ${err instanceof Error ? err.message : err}`);
  }
  if (!jwt) throw new ClientFailure(`the JWT file ${path} is empty`);
  secrets.add(jwt);
  return jwt;
}

/** @typedef {import('@modelcontextprotocol/sdk/client/auth.js').OAuthClientProvider} OAuthClientProvider */

/**
 * OAuthClientProvider for the RFC 7523 JWT-bearer grant with a workload JWT.
 *
 * - No redirect URL: the SDK treats the flow as non-interactive and goes
 *   straight to the token endpoint after discovery.
 * - clientInformation() returns the configured client_id and no
 *   saveClientInformation is offered, so the SDK never registers a client.
 * - prepareTokenRequest() supplies grant_type and assertion (and scope); the
 *   SDK adds `resource` and the public-client `client_id`.
 * - A rejected assertion is never presented again: the SDK's auth() would
 *   retry once after invalid_grant, invalid_client or unauthorized_client;
 *   invalidateCredentials() stops that retry by failing with the rejection.
 *
 * @implements {OAuthClientProvider}
 */
class WorkloadIdentityProvider {
  /** @type {string} */ #clientId;
  /** @type {string | undefined} */ #assertion;
  /** @type {string | undefined} */ #jwtFile;
  /** True once anything was fetched over HTTPS: plain HTTP is then a downgrade. */
  #sawTLS = false;
  /** @type {string | undefined} */ #explicitScope;
  /** @type {string | undefined} */ #challengeScope;
  /** @type {string[] | undefined} */ #advertisedScopes;
  /** @type {import('@modelcontextprotocol/sdk/shared/auth.js').OAuthTokens | undefined} */ #tokens;
  /** @type {import('@modelcontextprotocol/sdk/client/auth.js').OAuthDiscoveryState | undefined} */ #discovery;
  /** @type {{status: number, code?: string, description?: string} | undefined} */ #rejection;
  /** @type {boolean} */ #retryGuard;
  /** Number of token requests built so far. */
  tokenRequests = 0;

  /**
   * @param {{clientId: string, assertion?: string, jwtFile?: string, scope?: string, retryGuard?: boolean}} options
   *   retryGuard (default true) stops the SDK from presenting a rejected
   *   assertion a second time; false leaves the SDK's behaviour as it is.
   */
  constructor({ clientId, assertion, jwtFile, scope, retryGuard = true }) {
    this.#clientId = clientId;
    this.#assertion = assertion;
    this.#jwtFile = jwtFile;
    this.#explicitScope = scope || undefined;
    this.#retryGuard = retryGuard;
  }

  get redirectUrl() {
    return undefined;
  }

  /**
   * Scope selection in the order of the MCP authorization spec (SEP-835):
   * configured scope, then the scope of the server's 401 challenge, then the
   * Protected Resource Metadata's scopes_supported; otherwise none.
   * The SDK hands clientMetadata.scope to prepareTokenRequest().
   */
  get clientMetadata() {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [],
      grant_types: [JWT_BEARER_GRANT],
      token_endpoint_auth_method: 'none',
      scope: this.#explicitScope ?? this.#challengeScope ?? this.#advertisedScopes?.join(' ')
    };
  }

  clientInformation() {
    return { client_id: this.#clientId };
  }

  tokens() {
    return this.#tokens;
  }

  /** @param {import('@modelcontextprotocol/sdk/shared/auth.js').OAuthTokens} tokens */
  saveTokens(tokens) {
    if (tokens.access_token) secrets.add(tokens.access_token);
    if (tokens.refresh_token) secrets.add(tokens.refresh_token);
    this.#tokens = tokens;
  }

  /** @param {URL} _url */
  redirectToAuthorization(_url) {
    throw new ClientFailure('the SDK asked for a browser redirect; a workload client has no interactive flow');
  }

  saveCodeVerifier() {
    // No authorization-code flow, so nothing to keep.
  }

  /** @returns {string} */
  codeVerifier() {
    throw new ClientFailure('no PKCE code verifier: a workload client has no authorization-code flow');
  }

  /** @param {import('@modelcontextprotocol/sdk/client/auth.js').OAuthDiscoveryState} state */
  saveDiscoveryState(state) {
    this.#discovery = state;
    this.#advertisedScopes = state.resourceMetadata?.scopes_supported;
  }

  discoveryState() {
    return this.#discovery;
  }

  /**
   * The JWT-bearer grant: the workload JWT goes out exactly as the platform issued it.
   * @param {string} [scope]
   * @returns {URLSearchParams}
   */
  prepareTokenRequest(scope) {
    if (this.#rejection && this.#retryGuard) {
      throw this.rejectionFailure();
    }
    this.tokenRequests += 1;
    const assertion = this.#jwtFile ? readJWTFile(this.#jwtFile) : /** @type {string} */ (this.#assertion);
    const params = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
    if (scope) params.set('scope', scope);
    return params;
  }

  /**
   * Called by the SDK after the authorization server rejected the token
   * request, right before it would try again. The same workload JWT would be
   * rejected again, so the run ends here.
   * @param {'all' | 'client' | 'tokens' | 'verifier' | 'discovery'} _scope
   */
  invalidateCredentials(_scope) {
    this.#tokens = undefined;
    if (this.#retryGuard) throw this.rejectionFailure();
  }

  /**
   * Wraps fetch to note what the SDK itself does not hand back to a provider:
   * the scope of a 401/403 challenge and the OAuth error of a rejected token
   * request. Requests and responses pass through unchanged.
   * @param {typeof fetch} [base]
   * @returns {typeof fetch}
   */
  observingFetch(base = fetch) {
    return async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const body = init?.body;
      const carriesJWT = body instanceof URLSearchParams && (body.has('assertion') || body.has('client_assertion'));
      if (url.protocol === 'https:') {
        this.#sawTLS = true;
      } else if (carriesJWT && this.#sawTLS) {
        throw new ClientFailure(
          `refusing to send the workload JWT over plain HTTP to ${url.origin}${url.pathname}: the token endpoint was advertised over HTTPS (a downgrade)`
        );
      }
      const response = await base(input, init);
      if (response.status === 401 || response.status === 403) {
        const { scope } = extractWWWAuthenticateParams(response);
        if (scope) this.#challengeScope = scope;
      }
      if (!response.ok && body instanceof URLSearchParams && body.get('grant_type') === JWT_BEARER_GRANT) {
        /** @type {{status: number, code?: string, description?: string}} */
        const rejection = { status: response.status };
        try {
          const payload = await response.clone().json();
          if (payload && typeof payload.error === 'string') rejection.code = payload.error;
          if (payload && typeof payload.error_description === 'string') rejection.description = payload.error_description;
        } catch {
          // Not a JSON error body; the status alone is reported.
        }
        this.#rejection = rejection;
      }
      return response;
    };
  }

  /** True once the authorization server has rejected a token request. */
  get rejected() {
    return this.#rejection !== undefined;
  }

  /** The rejection as a ClientFailure naming the OAuth error code. */
  rejectionFailure() {
    const r = this.#rejection;
    if (!r) {
      return new ClientFailure('the authorization server rejected the token request; not retrying with the same workload JWT');
    }
    return new ClientFailure(`token request rejected (HTTP ${r.status}); not retrying`, {
      code: r.code,
      description: r.description
    });
  }
}

/**
 * Turns any failure into one actionable line.
 * @param {unknown} err
 * @returns {string}
 */
function describeFailure(err) {
  /** @type {string | undefined} */
  let code;
  /** @type {string | undefined} */
  let description;
  let message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  if (cause) {
    const causeCode = /** @type {{code?: unknown}} */ (cause).code;
    message += ` (${typeof causeCode === 'string' ? `${causeCode}: ` : ''}${cause.message})`;
  }
  if (err instanceof ClientFailure) {
    code = err.code;
    description = err.description;
  } else if (err instanceof OAuthError) {
    code = err.errorCode;
    description = err.message;
    message = 'token request rejected';
  } else if (err instanceof Error && Array.isArray(/** @type {{issues?: unknown}} */ (err).issues)) {
    // A schema validation failure inside the SDK, e.g. discovery metadata it cannot use.
    const issues = /** @type {{issues: Array<{path?: unknown[], message?: string}>}} */ (/** @type {unknown} */ (err)).issues;
    message = `a discovery or token response did not have the shape the SDK requires: ${issues
      .map(i => `${Array.isArray(i.path) && i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ')}`;
  } else if (err instanceof UnauthorizedError) {
    message = `not authorized: ${message}`;
  }
  if (!code) return `error: ${message}`;
  const hint = OAUTH_ERROR_HINTS[/** @type {keyof typeof OAUTH_ERROR_HINTS} */ (code)];
  const parts = [`error: OAuth error ${code}: ${message}`];
  if (description) parts.push(`authorization server said: ${description}`);
  if (hint) parts.push(hint);
  return parts.join('; ');
}

/**
 * @param {string} serverUrl
 * @param {{retryGuard: boolean}} options
 */
async function run(serverUrl, { retryGuard }) {
  const ctx = readContext();
  const jwtFile = process.env.WIF_CLIENT_ASSERTION ? undefined : ctx.jwt_file;
  const assertion = jwtFile ? undefined : selectAssertion(ctx);

  const provider = new WorkloadIdentityProvider({
    clientId: ctx.client_id,
    assertion,
    jwtFile,
    scope: process.env.WIF_CLIENT_SCOPE || ctx.scope,
    retryGuard
  });
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), {
    authProvider: provider,
    fetch: provider.observingFetch()
  });
  const client = new Client({ name: CLIENT_NAME, version: CLIENT_VERSION }, { capabilities: {} });

  try {
    try {
      // The transport answers the server's 401 itself: discovery, token
      // request through the provider, then the request again with the token.
      await client.connect(transport);
    } catch (err) {
      if (err instanceof UnauthorizedError) {
        // Interactive clients resume after a redirect with finishAuth() and a
        // new connection. A non-interactive provider never redirects, so an
        // UnauthorizedError here means no token could be obtained.
        throw new ClientFailure(
          `could not obtain an access token for ${serverUrl} (${err.message}); the JWT-bearer grant did not complete`
        );
      }
      // The SDK surfaces some token errors itself (invalid_scope, invalid_request,
      // server_error, ...); report them with what was seen on the wire.
      if (err instanceof OAuthError && provider.rejected) throw provider.rejectionFailure();
      throw err;
    }

    const { tools } = await client.listTools();
    const names = tools.map(t => t.name);
    let whoami = '';
    if (names.includes('whoami')) {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      if (result.isError) {
        throw new ClientFailure('the whoami tool returned an error');
      }
      const text = Array.isArray(result.content)
        ? result.content
            .filter(c => c && c.type === 'text')
            .map(c => c.text)
            .join(' ')
        : '';
      whoami = text ? `; whoami: ${text}` : '; whoami called';
    }
    console.log(
      redact(
        `ok: connected to ${serverUrl} with the JWT-bearer grant (${provider.tokenRequests} token request${provider.tokenRequests === 1 ? '' : 's'}); ` +
          `tools: ${names.join(', ') || '(none)'}${whoami}`
      )
    );
  } finally {
    await client.close().catch(() => {});
  }
}

async function main() {
  const args = process.argv.slice(2);
  let retryGuard = true;
  while (args.length > 1 && args[0].startsWith('--')) {
    const flag = args.shift();
    if (flag === '--no-retry-guard') {
      retryGuard = false;
    } else {
      console.error(`error: unknown option ${flag}`);
      process.exit(1);
    }
  }
  const serverUrl = args[0];
  if (!serverUrl || args.length !== 1) {
    console.error('usage: node client.mjs [--no-retry-guard] <mcp-server-url>  (context in MCP_CONFORMANCE_CONTEXT)');
    process.exit(1);
  }
  try {
    new URL(serverUrl);
  } catch {
    console.error(redact(`error: not a URL: ${serverUrl}`));
    process.exit(1);
  }

  const timeoutMs = Number(process.env.WIF_CLIENT_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const deadline = setTimeout(() => {
    console.error(`error: gave up after ${timeoutMs} ms without finishing the run against ${serverUrl}`);
    process.exit(1);
  }, timeoutMs);
  deadline.unref();

  try {
    await run(serverUrl, { retryGuard });
  } catch (err) {
    console.error(redact(describeFailure(err)));
    process.exit(1);
  }
  process.exit(0);
}

await main();
