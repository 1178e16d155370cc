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
# A plain name must name a scenario, even when the suite matches others.
suite "core" {
  scenarios = ["auth/metadata-*", "auth/basic-cmid"]
}
