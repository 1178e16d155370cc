package mcpserver

import (
	"context"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/wifdsl/wifdsl/record"
	"github.com/wifdsl/wifdsl/stubs/internal/metadoc"
)

// The tool the official conformance example clients call.
const (
	TestToolName = "test-tool"
	TestToolText = "test"
)

// prmPaths are the paths where the protected resource metadata of an MCP
// endpoint at path is served, in the order of at (see Config.PRMAt).
func prmPaths(path string, at []string) []string {
	if at == nil {
		at = []string{"path", "root"}
	}
	var out []string
	for _, loc := range at {
		p := loc
		switch loc {
		case "path":
			p = metadataPath(path)
		case "root":
			p = WellKnownPath
		}
		if len(p) > 0 && p[0] == '/' && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// endpointOf names the endpoint a path is routed to, or "".
func (s *Server) endpointOf(p string) string {
	switch {
	case p == s.path:
		return record.EndpointMCP
	case slices.Contains(s.prmPaths, p):
		return record.EndpointPRM
	}
	return ""
}

// buildPRM encodes the RFC 9728 §2 metadata document of resource: the
// MCP endpoint's URL, or at the root well-known path the origin, the
// resource identifier that path is derived from (§3.1).
func (s *Server) buildPRM(resource string) ([]byte, error) {
	m := map[string]any{
		"resource":                 resource,
		"authorization_servers":    nonNil(s.cfg.AuthorizationServers),
		"bearer_methods_supported": []string{"header"},
		"resource_name":            ServerName,
	}
	if len(s.cfg.ScopesSupported) > 0 {
		m["scopes_supported"] = s.cfg.ScopesSupported
	}
	if s.cfg.DPoP != nil && s.cfg.DPoP.Enforce {
		m["dpop_bound_access_tokens_required"] = true // RFC 9728 §2
	}
	b, err := metadoc.Encode(m, s.cfg.PRMFields)
	if err != nil {
		return nil, fmt.Errorf("mcpserver: %w", err)
	}
	return b, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// testTool answers "test", as the official harness's stub does.
func testTool(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: TestToolText}}}, nil, nil
}
