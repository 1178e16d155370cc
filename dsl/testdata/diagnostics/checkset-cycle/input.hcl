checkset "a" {
  checks = [checkset.b]
}
checkset "b" {
  checks = [checkset.a]
}
