variable "issuer" {
  description = "no default"
}
