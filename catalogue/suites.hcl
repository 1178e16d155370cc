# The suites of the official conformance harness
# (npx @modelcontextprotocol/conformance client --suite NAME), for
# `wifdsl run --suite NAME`. The suite "all" is implicit: every scenario of
# the catalogue.
#
# A suite is declared once the catalogue holds some of its scenarios: a
# suite that matches no scenario is an error, and so is a plain name that
# names none (a glob pattern may match nothing yet). The official suites
# and their scenarios, to declare as the scenarios arrive:
#
#   core, auth (the same 14):
#     auth/metadata-default, auth/metadata-var1, auth/metadata-var2,
#     auth/metadata-var3, auth/basic-cimd, auth/scope-from-www-authenticate,
#     auth/scope-from-scopes-supported, auth/scope-omitted-when-undefined,
#     auth/scope-step-up, auth/scope-retry-limit,
#     auth/token-endpoint-auth-basic, auth/token-endpoint-auth-post,
#     auth/token-endpoint-auth-none, auth/pre-registration
#   metadata:
#     auth/metadata-default, auth/metadata-var1, auth/metadata-var2,
#     auth/metadata-var3
#   backcompat:
#     auth/2025-03-26-oauth-metadata-backcompat,
#     auth/2025-03-26-oauth-endpoint-fallback
#   extensions:
#     auth/client-credentials-jwt, auth/client-credentials-basic,
#     auth/enterprise-managed-authorization, auth/dpop, auth/dpop-nonce,
#     auth/wif-jwt-bearer
#   draft:
#     auth/resource-mismatch, auth/offline-access-scope,
#     auth/offline-access-not-supported, auth/authorization-server-migration,
#     auth/iss-supported, auth/iss-not-advertised, auth/iss-supported-missing,
#     auth/iss-wrong-issuer, auth/iss-unexpected, auth/iss-normalized,
#     auth/metadata-issuer-mismatch
#   sep-835:
#     auth/scope-*

suite "extensions" {
  description = "Scenarios of the authorization extensions: client credentials, enterprise-managed authorization, DPoP and workload identity federation."
  # auth/wif-jwt-bearer is a scenario of the built-in suite
  # (scenarios.hcl), not yet of the catalogue: auth/wif-* takes it in
  # once the catalogue holds it.
  scenarios = [
    "auth/client-credentials-*",
    "auth/enterprise-managed-authorization",
    "auth/dpop*",
    "auth/wif-*",
  ]
}
