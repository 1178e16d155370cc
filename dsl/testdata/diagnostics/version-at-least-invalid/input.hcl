scenario "s" {
  protocol_version = "2025-11-25"
  check "draft-only" {
    enabled   = version_at_least(protocol_version, "draft")
    condition = true
  }
}
