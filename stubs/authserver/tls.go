package authserver

import (
	"fmt"
	"net"
	"net/http"

	"github.com/wifdsl/wifdsl/internal/loopback"
	"github.com/wifdsl/wifdsl/record"
)

// plainListener is the second, plain-HTTP listener of a server whose
// Config asks for PlainTokenEndpoint.
type plainListener struct {
	ln   net.Listener
	url  string
	done chan struct{}
}

// listenPlain opens the plain-HTTP listener when the Config asks for one.
func (s *Server) listenPlain() error {
	if !s.cfg.PlainTokenEndpoint {
		return nil
	}
	ln, url, err := loopback.Listen(nil)
	if err != nil {
		return fmt.Errorf("authserver: listen on 127.0.0.1 for the plain-HTTP token endpoint: %w", err)
	}
	s.plain = plainListener{ln: ln, url: url, done: make(chan struct{})}
	return nil
}

// servePlain serves the plain-HTTP listener, if any, with the same handler.
func (s *Server) servePlain() {
	if s.plain.ln == nil {
		return
	}
	go func() {
		defer close(s.plain.done)
		_ = s.srv.Serve(s.plain.ln) // ends with ErrServerClosed when s.srv closes
	}()
}

// closePlainListener closes a plain-HTTP listener that is not served yet.
func (s *Server) closePlainListener() {
	if s.plain.ln != nil {
		s.plain.ln.Close()
	}
}

// waitPlain waits for the plain-HTTP listener's server to stop once
// s.srv is closed.
func (s *Server) waitPlain() {
	if s.plain.ln != nil {
		<-s.plain.done
	}
}

// AdvertisedTokenEndpoint is the token_endpoint of the metadata: the
// plain-HTTP listener's with PlainTokenEndpoint, else [Server.TokenEndpoint].
func (s *Server) AdvertisedTokenEndpoint() string {
	if s.plain.url != "" {
		return s.plain.url + s.path + PathToken
	}
	return s.TokenEndpoint()
}

func schemeOf(r *http.Request) string { return record.SchemeOf(r) }
