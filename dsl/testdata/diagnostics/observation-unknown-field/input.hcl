scenario "s" {
  case "c" {
    check "exit" {
      condition = client.exitcode == 0
    }
    check "status" {
      condition = alltrue([for r in token_requests : r.respons.status == 200])
    }
  }
}
