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
# Glob patterns may match nothing yet, but the suite must match something.
suite "extensions" {
  scenarios = ["auth/client-credentials-*", "auth/dpop*"]
}
