package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are the parts of an emulated access token that a resource server (the Graph emulator)
// checks.
type Claims struct {
	TenantID  string    // tid
	ObjectID  string    // oid
	UPN       string    // upn / preferred_username
	Name      string    // name
	AppID     string    // appid: the client id
	Audience  string    // aud, e.g. https://graph.microsoft.com
	Scopes    []string  // scp split: short names such as User.Read.All
	ExpiresAt time.Time // exp
}

// HasScope reports whether the token carries the delegated permission (short name, case-insensitive).
func (c Claims) HasScope(perm string) bool {
	for _, s := range c.Scopes {
		if strings.EqualFold(s, perm) {
			return true
		}
	}
	return false
}

// Verification errors, for a resource server to map onto its own 401 answers.
var (
	ErrMalformed    = errors.New("token is not a JWT issued by this emulator")
	ErrBadSignature = errors.New("token signature does not verify")
	ErrExpired      = errors.New("token has expired")
)

var b64 = base64.RawURLEncoding

func randB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

func randGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// sign makes header.payload.signature with HS256 under key. The header mimics Entra's (typ,
// nonce, alg, x5t, kid) so that the token has Entra's size; alg says what is really used.
func sign(key []byte, claims map[string]any) string {
	kid := "idpsync-emulator-" + b64.EncodeToString(key[:6])
	h, _ := json.Marshal(map[string]any{"typ": "JWT", "nonce": randB64(32), "alg": "HS256", "x5t": kid, "kid": kid})
	p, _ := json.Marshal(claims)
	signing := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + b64.EncodeToString(mac.Sum(nil))
}

// verify checks the signature with key and decodes the claims.
func verify(key []byte, token string, now time.Time) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, ErrMalformed
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, ErrMalformed
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, ErrBadSignature
	}
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, ErrMalformed
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, ErrMalformed
	}
	exp, _ := c["exp"].(float64)
	if now.Unix() >= int64(exp) {
		return c, ErrExpired
	}
	return c, nil
}

func str(c map[string]any, k string) string { s, _ := c[k].(string); return s }

func claimsOf(c map[string]any) Claims {
	exp, _ := c["exp"].(float64)
	upn := str(c, "upn")
	if upn == "" {
		upn = str(c, "preferred_username")
	}
	return Claims{
		TenantID: str(c, "tid"), ObjectID: str(c, "oid"), UPN: upn, Name: str(c, "name"),
		AppID: str(c, "appid"), Audience: str(c, "aud"), Scopes: strings.Fields(str(c, "scp")),
		ExpiresAt: time.Unix(int64(exp), 0),
	}
}

// grant is what one issued token set is about.
type grant struct {
	account  Account
	tenant   string   // the tenant the tokens are for (tid)
	resource string   // e.g. https://graph.microsoft.com ("" when only OIDC scopes)
	perms    []string // granted delegated permissions, short names
	oidc     []string // openid, profile, offline_access, email as requested
	sid      string   // session id shared by the tokens of one sign-in
}

func (s *Server) accessToken(g grant, now time.Time, life time.Duration) string {
	aud := g.resource
	if aud == "" {
		aud = "00000003-0000-0000-c000-000000000000"
	}
	given, family, _ := strings.Cut(g.account.Name, " ")
	c := map[string]any{
		"aud": aud, "iss": "https://sts.windows.net/" + g.tenant + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(life).Unix(),
		"acct": 0, "acr": "1", "aio": randB64(150), "amr": []string{"pwd", "mfa"},
		"app_displayname": "IdP Sync", "appid": s.opts.ClientID, "appidacr": "0",
		"family_name": family, "given_name": given, "idtyp": "user", "ipaddr": "127.0.0.1",
		"name": g.account.Name, "oid": g.account.ObjectID, "platf": "3",
		"puid": strings.ToUpper(randB64(8)), "rh": "1." + randB64(60),
		"scp": strings.Join(g.perms, " "), "sid": g.sid, "signin_state": []string{"kmsi"},
		"sub": randB64(32), "tenant_region_scope": "EU", "tid": g.tenant,
		"unique_name": g.account.UPN, "upn": g.account.UPN, "uti": randB64(16), "ver": "1.0",
		"wids": s.wids(g.account), "xms_ftd": randB64(48), "xms_idrel": "1 20",
		"xms_st": map[string]string{"sub": randB64(32)}, "xms_tcdt": 1600000000, "xms_tdbr": "EU",
	}
	return sign(s.key, c)
}

func (s *Server) wids(a Account) []string {
	w := []string{"b79fbf4d-3ef9-4689-8143-76b194e85509"} // every member
	if a.Admin {
		w = append([]string{"62e90394-69f5-4237-9190-012177145e10"}, w...) // Global Administrator
	}
	return w
}

func (s *Server) idToken(g grant, host string, now time.Time) string {
	c := map[string]any{
		"aud": s.opts.ClientID, "iss": "https://" + host + "/" + g.tenant + "/v2.0",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"aio": randB64(130), "login_hint": randB64(150), "name": g.account.Name,
		"oid": g.account.ObjectID, "preferred_username": g.account.UPN, "rh": "1." + randB64(60),
		"sid": g.sid, "sub": randB64(32), "tid": g.tenant, "uti": randB64(16), "ver": "2.0",
		"xms_idrel": "1 20", "email": g.account.UPN,
	}
	return sign(s.key, c)
}

// refreshToken is opaque like Entra's (about 1 KB); the server keeps what it stands for.
func refreshTokenValue() string { return "1.AQ" + randB64(780) }

// clientInfo is base64url without padding of {"uid":oid,"utid":home tenant}, as MSAL expects.
func clientInfo(a Account) string {
	b, _ := json.Marshal(map[string]string{"uid": a.ObjectID, "utid": a.TenantID})
	return b64.EncodeToString(b)
}
