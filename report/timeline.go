package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wifdsl/wifdsl/engine"
	"github.com/wifdsl/wifdsl/record"
)

// TimelineEntry is one line of what happened in a case.
type TimelineEntry struct {
	// At is the time since the case started; Known is false for lines
	// that have no time of their own (a note on unrecorded requests).
	At    time.Duration
	Known bool
	Text  string
}

// JSONTimelineEntry is a TimelineEntry in the JSON report: at_ms is the
// time since the case started in milliseconds, or null.
type JSONTimelineEntry struct {
	AtMS *int64 `json:"at_ms"`
	Text string `json:"text"`
}

// Timeline renders the observations of a case as a short, time-ordered
// list: every request the servers saw, with what they answered, then how
// the client ended.
func Timeline(o *engine.Observations) []TimelineEntry {
	var out []TimelineEntry
	// Every server records in arrival order, so the k-th request of a
	// server to its token endpoint is its k-th token request, and likewise
	// for an MCP endpoint.
	tokens := bySever(o.TokenRequests, func(t *record.TokenRequest) string { return t.Server })
	mcps := bySever(o.MCPRequests, func(m *record.MCPRequest) string { return m.Server })
	for _, r := range o.Requests {
		text := fmt.Sprintf("%s %s %s → %d", r.Server, r.Method, r.Path, r.Status)
		if q := tokens[r.Server]; len(q) > 0 && q[0].Path == r.Path {
			tr := q[0]
			tokens[r.Server] = q[1:]
			text = fmt.Sprintf("%s %s %s %s → %d", r.Server, tr.Method, tr.Path, describeTokenRequest(tr), tr.Response.Status)
			if tr.Response.Error != "" {
				text += " " + tr.Response.Error
			}
		} else if q := mcps[r.Server]; len(q) > 0 && q[0].Path == r.Path {
			text = describeMCP(q[0])
			mcps[r.Server] = q[1:]
		}
		out = append(out, TimelineEntry{At: r.At, Known: true, Text: text})
	}
	if o.RequestCount > len(o.Requests) {
		out = append(out, TimelineEntry{Text: fmt.Sprintf("(%d more requests not recorded in full)", o.RequestCount-len(o.Requests))})
	}
	c := o.Client
	end := TimelineEntry{At: c.ExitAt, Known: true}
	switch {
	case !c.Started:
		end = TimelineEntry{Known: true, Text: "client could not be started: " + c.StartError}
	case c.HungAfterError:
		end.Text = fmt.Sprintf("client killed: still running %s after the error response (%s)", fmtDur(c.ExitAfterError), c.HungIn)
	case c.TimedOut:
		end.Text = "client killed at the case timeout (" + c.HungIn + ")"
	case c.Interrupted:
		end.Text = "client killed: run interrupted (" + c.HungIn + ")"
	case c.Signal != "":
		end.Text = "client died by signal " + c.Signal
	case c.Killed:
		end.Text = "client killed: the case ended on a scenario error (" + c.HungIn + ")"
	default:
		end.Text = fmt.Sprintf("client exited %d", c.ExitCode)
	}
	out = append(out, end)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Known || !out[j].Known {
			return false
		}
		return out[i].At < out[j].At
	})
	return out
}

func bySever[T any](recs []T, server func(*T) string) map[string][]*T {
	out := map[string][]*T{}
	for i := range recs {
		s := server(&recs[i])
		out[s] = append(out[s], &recs[i])
	}
	return out
}

func describeTokenRequest(tr *record.TokenRequest) string {
	var parts []string
	if tr.ContentType != "" && tr.ContentType != "application/x-www-form-urlencoded" {
		parts = append(parts, "("+tr.ContentType+")")
	}
	if gt := first(tr.Form, "grant_type"); gt != "" {
		parts = append(parts, "grant_type="+shortGrant(gt))
	}
	if _, ok := tr.Form["resource"]; !ok && tr.Form != nil {
		parts = append(parts, "no resource")
	}
	if s := first(tr.Form, "scope"); s != "" {
		parts = append(parts, "scope="+s)
	}
	if len(tr.RepeatedKeys) > 0 {
		parts = append(parts, "repeated "+strings.Join(tr.RepeatedKeys, ","))
	}
	if tr.DPoP.Present {
		parts = append(parts, describeProof(&tr.DPoP))
	}
	return strings.Join(parts, " ")
}

func describeMCP(m *record.MCPRequest) string {
	what := m.RPCMethod
	if what == "" {
		what = "(no JSON-RPC method)"
	}
	auth := "no token"
	switch {
	case m.HasBearer && m.IssuedToken:
		auth = "issued token"
	case m.HasBearer:
		auth = "unknown token"
	case m.AuthScheme != "":
		auth = m.AuthScheme + " scheme"
	}
	if m.HasBearer && strings.EqualFold(m.AuthScheme, record.SchemeDPoP) {
		auth += " (DPoP scheme)"
	}
	if m.DPoP.Present {
		auth += ", " + describeProof(&m.DPoP)
	}
	s := fmt.Sprintf("%s %s %s %s [%s] → %d", m.Server, m.HTTPMethod, m.Path, what, auth, m.Status)
	if m.Error != "" {
		s += " " + m.Error
	}
	if m.QueryToken != "" {
		s += " (token in query)"
	}
	return s
}

// describeProof is a DPoP proof in a few words: "DPoP proof", with its
// nonce, or why it is not valid.
func describeProof(p *record.DPoPProof) string {
	s := "DPoP proof"
	if p.Nonce != "" {
		s += " with nonce"
	}
	if p.Error != "" {
		s += " (" + p.Error + ")"
	}
	if p.Replayed {
		s += " (jti used before)"
	}
	return s
}

func shortGrant(g string) string {
	switch g {
	case record.GrantJWTBearer:
		return "jwt-bearer"
	case record.GrantTokenExchange:
		return "token-exchange"
	}
	return g
}

func first(m map[string][]string, k string) string {
	if v := m[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func fmtDur(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

// jsonTimeline renders a timeline for the JSON report, each text passed
// through redact.
func jsonTimeline(o *engine.Observations, redact func(string) string) []JSONTimelineEntry {
	out := []JSONTimelineEntry{}
	if o == nil {
		return out
	}
	for _, e := range Timeline(o) {
		je := JSONTimelineEntry{Text: redact(e.Text)}
		if e.Known {
			ms := e.At.Milliseconds()
			je.AtMS = &ms
		}
		out = append(out, je)
	}
	return out
}
