// Package rules answers requests to a stub server's endpoints by scenario
// rules: ordered, each with a condition over the request and a reply
// (status, OAuth error, headers, body). The first rule whose condition
// holds answers in place of the endpoint's built-in behaviour; when none
// does, the built-in behaviour answers.
//
// A condition that cannot be evaluated is the scenario's fault, not the
// client's: the server answers 500 and reports the error to its owner
// (see Set.OnError), which ends the case as a harness error.
package rules

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/wifdsl/wifdsl/record"
)

// Reply is what a rule answers.
type Reply struct {
	// Status is the HTTP status; zero means 400, or 401 for
	// invalid_client (RFC 6749 §5.2) and invalid_token (RFC 6750 §3.1),
	// 403 for insufficient_scope.
	Status int
	// Error and ErrorDescription make an RFC 6749 §5.2 JSON error body
	// when Body is empty.
	Error            string
	ErrorDescription string
	// Headers are set on the response (WWW-Authenticate, Retry-After,
	// DPoP-Nonce, Location, …).
	Headers map[string]string
	// Body, when set, is sent as is, with ContentType (default
	// application/json).
	Body        string
	ContentType string
}

// Effective returns the reply with its defaults applied.
func (r Reply) Effective() Reply {
	if r.Status == 0 {
		switch r.Error {
		case "invalid_client", "invalid_token":
			r.Status = http.StatusUnauthorized
		case "insufficient_scope":
			r.Status = http.StatusForbidden
		default:
			r.Status = http.StatusBadRequest
		}
	}
	if r.ContentType == "" && (r.Body != "" || r.Error != "") {
		r.ContentType = "application/json"
	}
	return r
}

// Rule answers the requests to one endpoint that its condition matches.
type Rule struct {
	Name string
	// Endpoint is the kind of endpoint the rule answers (record.Endpoint*).
	Endpoint string
	// Match reports whether the rule answers in. A nil Match matches every
	// request. in is a copy the rule may keep.
	Match func(in *record.Incoming) (bool, error)
	Reply Reply
	// Late, if set, computes headers and a body added to Reply for the
	// request the rule answers.
	Late func(in *record.Incoming) (headers map[string]string, body string, err error)
}

// Answer is what Find decided for one request.
type Answer struct {
	Rule  string // the rule that matched or failed
	Reply Reply  // the reply to send
	Err   error  // the rule's condition or late reply failed; Reply is then a 500
}

// Set is the ordered rules of one server.
type Set struct {
	Rules []Rule
	// OnError, if set, is told when a rule's condition could not be
	// evaluated; the request is then answered 500.
	OnError func(rule string, err error)
}

// Find returns the answer of the first rule for endpoint whose condition
// holds for in, or nil when no rule answers. A rule that cannot be
// evaluated (an error or a panic) answers 500 and is reported to OnError.
func (s *Set) Find(endpoint string, in *record.Incoming) *Answer {
	if s == nil {
		return nil
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if r.Endpoint != endpoint {
			continue
		}
		ok, err := match(r, in)
		if err == nil && ok && r.Late != nil {
			a := &Answer{Rule: r.Name, Reply: r.Reply}
			var h map[string]string
			var body string
			if h, body, err = late(r, in); err == nil {
				a.Reply.Headers = merge(r.Reply.Headers, h)
				if body != "" {
					a.Reply.Body = body
				}
				return a
			}
		}
		if err != nil {
			if s.OnError != nil {
				s.OnError(r.Name, err)
			}
			return &Answer{Rule: r.Name, Reply: InternalError(r.Name, err), Err: err}
		}
		if ok {
			return &Answer{Rule: r.Name, Reply: r.Reply}
		}
	}
	return nil
}

func late(r *Rule, in *record.Incoming) (h map[string]string, body string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rule %s panicked: %v", r.Name, p)
		}
	}()
	return r.Late(in)
}

func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Has reports whether any rule answers endpoint.
func (s *Set) Has(endpoint string) bool {
	if s == nil {
		return false
	}
	for _, r := range s.Rules {
		if r.Endpoint == endpoint {
			return true
		}
	}
	return false
}

func match(r *Rule, in *record.Incoming) (ok bool, err error) {
	if r.Match == nil {
		return true, nil
	}
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("rule %s panicked: %v", r.Name, p)
		}
	}()
	return r.Match(in)
}

// Encode returns the reply's content type and body: Body as is, or an RFC
// 6749 §5.2 error object.
func (r Reply) Encode() (contentType string, body []byte) {
	r = r.Effective()
	if r.Body != "" || r.Error == "" {
		return r.ContentType, []byte(r.Body)
	}
	b, _ := json.Marshal(struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description,omitempty"`
	}{r.Error, SanitizeDescription(r.ErrorDescription)})
	return r.ContentType, b
}

// Write writes the reply to w.
func (r Reply) Write(w http.ResponseWriter) {
	r = r.Effective()
	ct, body := r.Encode()
	h := w.Header()
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	if r.Error != "" {
		h.Set("Cache-Control", "no-store")
	}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	w.WriteHeader(r.Status)
	_, _ = w.Write(body)
}

// InternalError is the reply to a request whose rule could not be
// evaluated.
func InternalError(rule string, err error) Reply {
	return Reply{Status: http.StatusInternalServerError, Error: "server_error",
		ErrorDescription: "scenario rule " + rule + " could not be evaluated: " + err.Error()}
}

// SanitizeDescription maps s onto the character set RFC 6749 §5.2 allows
// in error_description: %x20-21 / %x23-5B / %x5D-7E.
func SanitizeDescription(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\':
			b.WriteByte('/')
		case c == '\n' || c == '\r' || c == '\t':
			b.WriteByte(' ')
		case c < 0x20 || c > 0x7e:
			// Bytes of a multi-byte character collapse into one '?'.
			if c < 0x80 || c >= 0xc0 {
				b.WriteByte('?')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
