// Package jwt owns the signing keys of a test case, their publication as an
// RFC 7517 JWK Set, the minting of RFC 7523 §2.1 JWT-bearer assertions and
// their verification and validation on the authorization-server side
// (RFC 7523 §3).
//
// Keys are generated in memory, never read from or written to disk. A
// [KeySet] holds at most one key per signature algorithm and generates it on
// first use, so a case that only needs ES256 never pays for RSA key
// generation.
//
// Minting ([KeySet.Mint]) and verifying ([KeySet.Verify]) use compact JWS
// serialization (RFC 7515 §7.1). [Decode] reads a token without checking its
// signature so that whatever a client sent can be recorded. [Validate]
// applies the claim checks of RFC 7523 §3 to a decoded claims set.
//
// Claims decoded from JSON ([Decode], [KeySet.Verify]) use the types of
// encoding/json's default decoding: JSON numbers are float64, arrays are
// []any and objects are map[string]any.
//
// This package imports no other wifdsl package.
package jwt
