// Package dpop checks DPoP proofs (RFC 9449) for the stub servers: the
// proof a client sends at a token endpoint (§4.3, §5) and with each
// request to a protected resource (§4.3, §7.1). It decides nothing: it
// returns the proof as checked, as a record.DPoPProof, and the servers
// decide what to answer.
package dpop

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/wifdsl/wifdsl/jwt"
	"github.com/wifdsl/wifdsl/record"
)

// Type is the JOSE typ of a DPoP proof (RFC 9449 §4.2).
const Type = "dpop+jwt"

// Window is how far iat may be from the server's clock (RFC 9449 §11.1
// leaves it to the server; five minutes, as the official harness).
const Window = 5 * time.Minute

// Algs are the asymmetric JWS algorithms a proof may be signed with
// (RFC 9449 §4.2: not none, not a MAC).
var Algs = []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}

// AdvertisedAlgs are the algorithms the stub authorization server
// advertises as dpop_signing_alg_values_supported (RFC 9449 §5.1), as the
// official harness does; it accepts any of Algs.
var AdvertisedAlgs = []string{"ES256"}

// Reasons a proof is not valid, in the order they are checked.
const (
	ReasonMissing     = "missing DPoP proof header"
	ReasonMultiple    = "multiple DPoP proof headers"
	ReasonMalformed   = "DPoP proof is not a well-formed JWT"
	ReasonTyp         = "typ must be dpop+jwt"
	ReasonAlg         = "alg must be a supported asymmetric algorithm"
	ReasonNoJWK       = "missing jwk header parameter"
	ReasonPrivateJWK  = "jwk must not contain a private key"
	ReasonSignature   = "DPoP proof signature does not verify"
	ReasonJTI         = "missing jti claim"
	ReasonHTM         = "htm does not match the request method"
	ReasonHTUQuery    = "htu must not contain a query or fragment"
	ReasonHTU         = "htu does not match the request URI"
	ReasonIAT         = "iat outside the acceptable window"
	ReasonATH         = "ath does not match the presented access token"
	ReasonUnbound     = "the access token is not bound to a DPoP key"
	ReasonKeyMismatch = "proof key thumbprint does not match the token's bound key"
)

// Request is what a proof is checked against.
type Request struct {
	// Proofs are the values of the DPoP header fields.
	Proofs []string
	// Method and URL are the request's HTTP method and target URI; the
	// query and fragment of URL are ignored (RFC 9449 §4.3 item 9).
	Method string
	URL    string
	Now    time.Time
	// Resource makes it the check of a request to a protected resource
	// with the access token Token, bound to TokenJKT ("" for an unbound
	// or unknown token): ath must be Token's hash and the key TokenJKT.
	Resource bool
	Token    string
	TokenJKT string
}

// Check checks the proof of req (RFC 9449 §4.3): Valid is set when every
// check passes; otherwise Error names the first that failed. Replay is
// not judged here (see Seen).
func Check(req Request) (p record.DPoPProof) {
	p = record.DPoPProof{Headers: len(req.Proofs), Present: len(req.Proofs) > 0, TokenJKT: req.TokenJKT}
	if req.Resource && req.Token != "" {
		defer func() { p.ATHValid = p.ATH != "" && p.ATH == TokenHash(req.Token) }()
	}
	switch {
	case len(req.Proofs) == 0:
		p.Error = ReasonMissing
		return p
	case len(req.Proofs) > 1 || strings.Contains(req.Proofs[0], ","):
		p.Error = ReasonMultiple
		return p
	}
	proof := strings.TrimSpace(req.Proofs[0])
	header, claims, err := jwt.Decode(proof)
	if err != nil {
		p.Error = ReasonMalformed
		return p
	}
	p.Typ, _ = header["typ"].(string)
	p.Alg, _ = header["alg"].(string)
	p.JTI, _ = claims["jti"].(string)
	p.HTM, _ = claims["htm"].(string)
	p.HTU, _ = claims["htu"].(string)
	p.Nonce, _ = claims["nonce"].(string)
	p.ATH, _ = claims["ath"].(string)
	iat, hasIAT := claims["iat"].(float64)
	if hasIAT {
		p.IAT = int64(iat)
	}
	jwkHeader, _ := header["jwk"].(map[string]any)
	if jwkHeader != nil && jwkHeader["d"] == nil {
		if b, err := json.Marshal(jwkHeader); err == nil {
			var k jose.JSONWebKey
			if k.UnmarshalJSON(b) == nil && k.IsPublic() {
				p.JKT = Thumbprint(&k)
			}
		}
	}
	fail := func(reason string) record.DPoPProof {
		p.Error = reason
		return p
	}
	switch {
	case p.Typ != Type:
		return fail(ReasonTyp)
	case !slices.Contains(Algs, p.Alg):
		return fail(ReasonAlg)
	case jwkHeader == nil:
		return fail(ReasonNoJWK)
	case jwkHeader["d"] != nil:
		return fail(ReasonPrivateJWK)
	}
	algs := make([]jose.SignatureAlgorithm, len(Algs))
	for i, a := range Algs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSigned(proof, algs)
	if err != nil || len(jws.Signatures) != 1 || jws.Signatures[0].Header.JSONWebKey == nil {
		return fail(ReasonSignature)
	}
	if _, err := jws.Verify(jws.Signatures[0].Header.JSONWebKey); err != nil {
		return fail(ReasonSignature)
	}
	switch {
	case p.JTI == "":
		return fail(ReasonJTI)
	case p.HTM != req.Method:
		return fail(ReasonHTM)
	case strings.ContainsAny(p.HTU, "?#"):
		return fail(ReasonHTUQuery)
	case p.HTU == "" || normalize(p.HTU) != normalize(req.URL):
		return fail(ReasonHTU)
	case !hasIAT || req.Now.Sub(time.Unix(p.IAT, 0)).Abs() > Window:
		return fail(ReasonIAT)
	}
	if req.Resource {
		switch {
		case p.ATH == "" || p.ATH != TokenHash(req.Token):
			return fail(ReasonATH)
		case req.TokenJKT == "":
			return fail(ReasonUnbound)
		case req.TokenJKT != p.JKT:
			return fail(ReasonKeyMismatch)
		}
		p.Bound = true
	}
	p.Valid = true
	return p
}

// Verified reports whether the proof's signature was verified: every
// check up to and including the signature passed.
func Verified(p record.DPoPProof) bool {
	switch p.Error {
	case "":
		return p.Present
	case ReasonMissing, ReasonMultiple, ReasonMalformed, ReasonTyp, ReasonAlg, ReasonNoJWK, ReasonPrivateJWK, ReasonSignature:
		return false
	}
	return true
}

// TokenHash is the ath of an access token (RFC 9449 §4.2): the base64url
// SHA-256 of its ASCII octets.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of k, base64url.
func Thumbprint(k *jose.JSONWebKey) string {
	b, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// normalize is a URI as RFC 9449 §4.3 item 9 compares them (RFC 3986
// §6.2.2, §6.2.3): scheme and host in lower case, no default port,
// without query and fragment; one trailing slash is tolerated, as the
// official harness does.
func normalize(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	return scheme + "://" + host + strings.TrimSuffix(u.EscapedPath(), "/")
}

// Seen remembers the jti of every proof whose signature a server
// verified, to tell a replay (RFC 9449 §11.1). Its zero value is ready;
// it is safe for concurrent use.
type Seen struct {
	mu   sync.Mutex
	jtis map[string]bool
}

// Note records p's jti and sets p.Replayed when it was seen before.
func (s *Seen) Note(p *record.DPoPProof) {
	if !Verified(*p) || p.JTI == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis == nil {
		s.jtis = map[string]bool{}
	}
	p.Replayed = s.jtis[p.JTI]
	s.jtis[p.JTI] = true
}
