scenario "s" {
  description = "never closed
