function "length" {
  params = [x]
  result = 1
}
