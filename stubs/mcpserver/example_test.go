package mcpserver_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/wifdsl/wifdsl/stubs/mcpserver"
)

// ExampleNew starts a stub MCP server and shows the challenge a client
// without an access token receives, and how the request was recorded.
func ExampleNew() {
	srv, err := mcpserver.New(mcpserver.Config{
		AuthorizationServers: []string{"http://127.0.0.1:9000"},
		ChallengeScope:       "mcp:tools",
		ValidToken:           func(token string) bool { return token == "issued-token" },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	resp, err := http.Post(srv.URL(), "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	port := strings.TrimPrefix(srv.BaseURL(), "http://127.0.0.1:")
	fmt.Println(resp.StatusCode)
	fmt.Println(strings.ReplaceAll(resp.Header.Get("WWW-Authenticate"), port, "PORT"))
	for _, r := range srv.MCPRequests() {
		fmt.Println(r.Seq, r.HTTPMethod, r.RPCMethod, r.HasBearer, r.Status)
	}
	// Output:
	// 401
	// Bearer resource_metadata="http://127.0.0.1:PORT/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"
	// 1 POST tools/list false 401
}
