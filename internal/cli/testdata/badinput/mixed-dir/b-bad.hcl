scenario "t" {
  timeout = "forever"
}
