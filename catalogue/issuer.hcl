# The iss parameter of the authorization response (RFC 9207, SEP-2468):
# a client compares it with the issuer it sent the request to, exactly,
# when the authorization server advertises it, and refuses a response
# that lacks it or names another issuer.

requirement "RFC-9207-iss" {
  level = MUST
  text  = "The client compares the iss of the authorization response with the expected issuer by simple string comparison, rejects a missing iss where the server advertises authorization_response_iss_parameter_supported, and rejects an iss where none was expected and it differs."
  ref   = "https://www.rfc-editor.org/rfc/rfc9207#section-2.4"
}

locals {
  # The client reached the authorization endpoint, and then never the
  # token endpoint: it refused the authorization response.
  refused_response_message = "the client redeemed the code of an authorization response it should have refused"
}

scenario "auth/iss-supported" {
  description = "The authorization server advertises and sends the right iss: the client proceeds"
  server "as" {
    kind                  = "authorization_server"
    grant_types_supported = [grant.authorization_code, grant.refresh_token]
    registration          = true
    metadata_at           = ["oauth"]
  }
  server "mcp" {
    kind = "mcp_server"
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "sep-2468-client-compare-iss-supported" {
      name          = "ClientCompareIssSupported"
      description   = "Client accepted the matching iss and redeemed the code"
      verifies      = requirement.RFC-9207-iss
      condition     = length(token_requests) > 0
      error_message = "the client did not redeem the code of a correct authorization response"
    }
  }

  case "code-refused" {
    description = "The token endpoint answers the code exchange with invalid_grant: the client must fail without a loop."
    server "as" {
      rule "refuse-code" {
        endpoint = "token"
        error    = "invalid_grant"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/iss-not-advertised" {
  description = "The authorization server neither advertises nor sends iss: the client proceeds"
  server "as" {
    kind                       = "authorization_server"
    grant_types_supported      = [grant.authorization_code, grant.refresh_token]
    registration               = true
    metadata_at                = ["oauth"]
    metadata                   = { authorization_response_iss_parameter_supported = null }
    authorization_response_iss = null
  }
  server "mcp" {
    kind = "mcp_server"
  }
  checks = [checkset.always]

  case "happy-path" {
    checks = [checkset.observed, checkset.authorization_code]
    check "sep-2468-client-proceed-no-iss" {
      name          = "ClientProceedNoIss"
      description   = "Client redeemed the code of a response without iss from a server that does not advertise it"
      verifies      = requirement.RFC-9207-iss
      condition     = length(token_requests) > 0
      error_message = "the client did not redeem the code"
    }
  }

  case "registration-refused" {
    description = "The registration endpoint answers 400: the client must fail clearly."
    server "as" {
      rule "refuse-registration" {
        endpoint = "register"
        error    = "invalid_client_metadata"
      }
    }
    checks = [checkset.code_refused]
  }
}

scenario "auth/iss-supported-missing" {
  description = "The authorization server advertises iss but the response lacks it: the client must refuse it"
}
scenario "auth/iss-wrong-issuer" {
  description = "The authorization response names another issuer: the client must refuse it"
}
scenario "auth/iss-unexpected" {
  description = "The authorization server does not advertise iss but sends another issuer's: the client must refuse it"
}
scenario "auth/iss-normalized" {
  description = "The iss differs from the issuer only by a trailing slash: the client must compare exactly and refuse it"
}

locals {
  # The four responses a client must refuse: whether the metadata
  # advertises iss, the iss sent ("omit", "normalized": the issuer and a
  # trailing slash, or a literal), and the official check.
  iss_rejections = {
    "auth/iss-supported-missing" = { advertised = true, iss = "omit", check = "sep-2468-client-reject-missing-iss", name = "ClientRejectMissingIss", text = "Client refused an authorization response without the advertised iss" }
    "auth/iss-wrong-issuer"      = { advertised = true, iss = "https://evil.example.com", check = "sep-2468-client-compare-iss-supported", name = "ClientCompareIssSupported", text = "Client refused an authorization response whose iss names another issuer" }
    "auth/iss-unexpected"        = { advertised = false, iss = "https://evil.example.com", check = "sep-2468-client-compare-iss-unadvertised", name = "ClientCompareIssUnadvertised", text = "Client refused an unadvertised iss that names another issuer" }
    "auth/iss-normalized"        = { advertised = true, iss = "normalized", check = "sep-2468-client-no-normalization", name = "ClientNoNormalization", text = "Client compared iss as a string and refused the normalized form" }
  }
}

dynamic "scenario" {
  for_each = local.iss_rejections
  labels   = [scenario.key]
  content {
    server "as" {
      kind                       = "authorization_server"
      grant_types_supported      = [grant.authorization_code, grant.refresh_token]
      registration               = true
      metadata_at                = ["oauth"]
      metadata                   = scenario.value.advertised ? {} : { authorization_response_iss_parameter_supported = null }
      authorization_response_iss = scenario.value.iss == "omit" ? null : scenario.value.iss == "normalized" ? "${server.as.issuer}/" : scenario.value.iss
    }
    server "mcp" {
      kind = "mcp_server"
    }
    checks = [checkset.always]

    case "rejects-response" {
      dynamic "check" {
        for_each = [scenario.value]
        labels   = [check.value.check]
        content {
          name          = check.value.name
          description   = check.value.text
          verifies      = requirement.RFC-9207-iss
          condition     = anytrue([for r in requests : r.endpoint == "authorize"]) && length(token_requests) == 0
          error_message = length(token_requests) > 0 ? local.refused_response_message : "the client sent no authorization request"
        }
      }
    }
  }
}
