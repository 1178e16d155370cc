scenario "s" {
  description = "café ÿþ"
}
