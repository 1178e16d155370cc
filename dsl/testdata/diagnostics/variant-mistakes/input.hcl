variant "slow" {
  retrys = 3
}
variant "odd" {
  hang        = "later"
  retries     = -1
  pause       = "soon"
  omit_params = "resource"
}
scenario "s" {
  check "a" {
    condition = true
  }
}
