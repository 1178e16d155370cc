function "twice" {
  params = [x]
  result = x > 0 ? twice(x - 1) : 0
}

scenario "s" {
  description = "uses twice(2) = ${twice(2)}"
}
