package cloudsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// identity is who a request was made by, once its credentials are checked.
type identity struct {
	provider  Provider
	principal string // rate-limit and log key: API key, client id or user name
	forbidden bool
	audience  string // Azure: the resource the token was issued for
	// sts marks a Confluent STS token (exchanged at /sts/v1/oauth2/token), which
	// usm/v1 takes and partner/v2 does not; the identity provider's tokens are the
	// other way round.
	sts bool
	// static marks credentials from the configuration (an API key, a static token):
	// they are whatever their holder made them, and every API takes them.
	static bool
}

type issued struct {
	identity
	expires time.Time
	refresh bool // a UAA refresh token, not an access token
}

// tokenStore remembers the tokens the simulated token endpoints issued.
type tokenStore struct {
	key []byte
	mu  sync.Mutex
	all map[string]issued
}

func newTokenStore() *tokenStore {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &tokenStore{key: key, all: map[string]issued{}}
}

// issue returns a new JWT-shaped token for id, valid for ttl. Clients must
// treat it as opaque, but some (the cf CLI) peek at its claims.
func (t *tokenStore) issue(id identity, ttl time.Duration, issuer, scope string, refresh bool) string {
	now := time.Now()
	claims := map[string]any{
		"iss": issuer, "sub": id.principal, "aud": id.audience,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": randomHex(16),
	}
	if scope != "" {
		claims["scope"] = scope
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims)
	signed := header + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, t.key)
	mac.Write([]byte(signed))
	token := signed + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.all) > 50_000 {
		for k, v := range t.all {
			if now.After(v.expires) {
				delete(t.all, k)
			}
		}
	}
	t.all[token] = issued{identity: id, expires: now.Add(ttl), refresh: refresh}
	return token
}

// lookup returns the identity behind an unexpired token of the provider.
func (t *tokenStore) lookup(p Provider, token string, refresh bool) (identity, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.all[token]
	if !ok || v.provider != p || v.refresh != refresh || time.Now().After(v.expires) {
		return identity{}, false
	}
	return v.identity, true
}

// expireAll makes every issued token invalid, as a token-signing key rotation would.
func (t *tokenStore) expireAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.all)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random version-4 UUID, for request and error ids.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// staticTokenPrincipal names the holder of a static token without revealing it.
func staticTokenPrincipal(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "static-token-" + hex.EncodeToString(sum[:4])
}

// bearerStatus resolves a bearer token the simulator issued for p: the identity, and
// 0, or the HTTP status the API answers an unknown (401) or forbidden (403) one with.
func (t *tokenStore) bearerStatus(p Provider, token string) (identity, int) {
	id, ok := t.lookup(p, token, false)
	switch {
	case !ok:
		return identity{}, http.StatusUnauthorized
	case id.forbidden:
		return id, http.StatusForbidden
	}
	return id, 0
}
