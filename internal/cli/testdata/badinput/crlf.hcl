scenario "s" {
  description = "ok"
  audence = "x"
}
