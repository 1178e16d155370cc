# The suites of the official conformance harness
# (npx @modelcontextprotocol/conformance client --suite NAME), for
# `wifdsl run --suite NAME`. The suite "all" is implicit: every scenario of
# the catalogue.
#
# A suite that matches no scenario is an error, and so is a plain name that
# names none; a glob pattern may match nothing yet. auth/wif-jwt-bearer is
# the built-in suite's scenario (scenarios.hcl): the embedded catalogue
# that `--suite` reads holds it too, so auth/wif-* finds it there.

locals {
  core_scenarios = [
    "auth/metadata-default", "auth/metadata-var1", "auth/metadata-var2", "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate", "auth/scope-from-scopes-supported", "auth/scope-omitted-when-undefined",
    "auth/scope-step-up", "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic", "auth/token-endpoint-auth-post", "auth/token-endpoint-auth-none",
    "auth/pre-registration",
  ]
}

suite "core" {
  description = "The 14 scenarios a client must pass for the 2025-11-25 specification."
  scenarios   = local.core_scenarios
}

suite "auth" {
  description = "The authorization scenarios of the core tier (the same 14 as core)."
  scenarios   = local.core_scenarios
}

suite "metadata" {
  description = "Discovery of the protected resource and authorization server metadata."
  scenarios   = ["auth/metadata-default", "auth/metadata-var1", "auth/metadata-var2", "auth/metadata-var3"]
}

suite "sep-835" {
  description = "Scope selection and step-up (SEP-835)."
  scenarios   = ["auth/scope-*"]
}

suite "backcompat" {
  description = "Servers of the 2025-03-26 specification: one origin, no protected resource metadata."
  scenarios   = ["auth/2025-03-26-oauth-metadata-backcompat", "auth/2025-03-26-oauth-endpoint-fallback"]
}

suite "extensions" {
  description = "Scenarios of the authorization extensions: client credentials, enterprise-managed authorization, DPoP and workload identity federation."
  scenarios = [
    "auth/client-credentials-*",
    "auth/enterprise-managed-authorization",
    "auth/dpop*",
    "auth/wif-*",
  ]
}

suite "draft" {
  description = "Requirements of the draft specification (2026-07-28)."
  scenarios = [
    "auth/resource-mismatch", "auth/offline-access-scope", "auth/offline-access-not-supported",
    "auth/authorization-server-migration",
    "auth/iss-supported", "auth/iss-not-advertised", "auth/iss-supported-missing",
    "auth/iss-wrong-issuer", "auth/iss-unexpected", "auth/iss-normalized",
    "auth/metadata-issuer-mismatch",
  ]
}
