scenario "s" {
  check "draft-only" {
    enabled   = "2026-07-28"
    condition = true
  }
}
