scenario "auth/metadata-default" {
  check "exits" {
    condition = client.exit_code == 0
  }
}
scenario "auth/basic-cimd" {
  check "exits" {
    condition = client.exit_code == 0
  }
}
suite "core" {
  scenarios = ["auth/metadata-*", "auth/[basic", null]
}
