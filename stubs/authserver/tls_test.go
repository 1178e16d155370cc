package authserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wifdsl/wifdsl/internal/tlsca"
)

func TestTLSAndPlainTokenEndpoint(t *testing.T) {
	ca, err := tlsca.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{TLS: ca.ServerConfig(), PlainTokenEndpoint: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || !strings.HasPrefix(s.TokenEndpoint(), "https://") {
		t.Fatalf("URL %q, token endpoint %q: want https", s.URL(), s.TokenEndpoint())
	}
	adv := s.AdvertisedTokenEndpoint()
	if !strings.HasPrefix(adv, "http://127.0.0.1:") || strings.TrimSuffix(adv, PathToken) == strings.Replace(s.URL(), "https", "http", 1) {
		t.Fatalf("advertised token endpoint %q: want plain HTTP on another port", adv)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	resp, err := c.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Issuer != s.URL() || meta.TokenEndpoint != adv {
		t.Errorf("metadata issuer %q token_endpoint %q, want %q and %q", meta.Issuer, meta.TokenEndpoint, s.URL(), adv)
	}
	for _, ep := range []string{adv, s.TokenEndpoint()} {
		resp, err := c.PostForm(ep, url.Values{"grant_type": {GrantJWTBearer}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	trs := s.TokenRequests()
	if len(trs) != 2 || trs[0].Scheme != "http" || trs[1].Scheme != "https" {
		t.Fatalf("token requests %+v: want one over http, then one over https", trs)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Scheme != "https" || reqs[1].Scheme != "http" {
		t.Errorf("requests %+v", reqs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(adv, "application/x-www-form-urlencoded", nil); err == nil {
		t.Errorf("the plain-HTTP listener still answers after Close")
	}
}

func TestZeroConfigStaysPlain(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.AdvertisedTokenEndpoint() != s.TokenEndpoint() {
		t.Errorf("URL %q, advertised token endpoint %q", s.URL(), s.AdvertisedTokenEndpoint())
	}
	resp, err := http.PostForm(s.TokenEndpoint(), url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if trs := s.TokenRequests(); len(trs) != 1 || trs[0].Scheme != "http" {
		t.Errorf("token requests %+v", trs)
	}
}
