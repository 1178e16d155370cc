// Package mcpserver owns the stub MCP server that wifdsl runs on loopback for
// each case: a protected resource (RFC 6750, RFC 9728) in front of the go-sdk
// streamable HTTP transport, and a bounded log of every request it saw.
//
// The server publishes RFC 9728 protected resource metadata (§2) at the
// path-based well-known URL derived from its MCP endpoint (§3.1) and at the
// root well-known URL. The MCP endpoint, whose URL is also the canonical
// resource URI of RFC 8707 §2, answers requests that lack a token the stub
// authorization server issued with 401 and an RFC 6750 §3 challenge carrying
// resource_metadata (RFC 9728 §5.1) and, when configured, scope. Requests with
// an issued token reach an MCP server named "wifdsl-stub" that exposes a single
// tool, whoami.
//
// Every request, on any path, is recorded with its response status; requests
// to the MCP endpoint are also recorded with their JSON-RPC methods, the
// bearer token presented, whether it was issued, and any access_token in the
// URL query (RFC 6750 §2.3, which MCP clients must not use). The package
// imports no other wifdsl package.
package mcpserver
