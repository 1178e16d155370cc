// Command wifclient is the reference MCP client of wifdsl: a Workload
// Identity Federation client (SEP-1933) that obtains its MCP access token
// with the JWT-bearer grant (RFC 7523 §2.1), built on the go-sdk.
//
// It follows the client contract of the MCP conformance harness:
//
//	wifclient [-bug NAME] <mcp-server-url>
//
// with MCP_CONFORMANCE_CONTEXT set to JSON holding valid_jwt (the workload
// JWT, used verbatim as the assertion) and client_id, and optionally
// MCP_CONFORMANCE_PROTOCOL_VERSION. Without -bug it is the conformant
// client: it discovers the token endpoint (RFC 9728, RFC 8414), requests a
// token, connects, lists the tools, calls whoami, prints one line and exits
// 0; on failure it prints the OAuth error code and a hint to stderr and
// exits 1. With -bug NAME it breaks one behaviour on purpose, so a
// conformance suite can be shown to catch it:
//
//	go build -o wifclient ./examples/wifclient
//	wifdsl run scenarios.hcl --client "./wifclient -bug retry"
//
// The variants are documented in package
// github.com/wifdsl/wifdsl/internal/refclient, which holds the whole client.
package main
