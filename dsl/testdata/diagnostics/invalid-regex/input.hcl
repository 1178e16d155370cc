scenario "s" {
  check "a" {
    condition = length(regexall("[unclosed", client.output)) == 0
  }
}
