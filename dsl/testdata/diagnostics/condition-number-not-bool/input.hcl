scenario "s" {
  check "one-request" {
    condition     = token_request_count
    error_message = token_requests[0].response
  }
}
