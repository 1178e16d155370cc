scenario "s" {
  bogus = 1
}
