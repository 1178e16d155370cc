locals {
  taken = 1
}
scenario "s" {
  check "a" {
    locals {
      taken = 2
      first = local.second
      second = local.first
    }
    condition = true
  }
  check "b" {
    locals {
      late = [for m in mcp_requests : m.at_ms if m.isued_token]
    }
    condition = length(local.late) == 0
  }
}
