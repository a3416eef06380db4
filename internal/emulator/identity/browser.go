package identity

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Browser does what the admin's browser does between MSAL opening the authorize URL and MSAL's
// loopback listener receiving the code: it loads the emulator's authorize page with a client
// that trusts the emulator, reads the auto-submit form and posts it to the listener. Open has
// the shape of MSAL's WithOpenURL. It refuses to load any page that is not the emulator's, so a
// misconfigured demo cannot send it to the real Microsoft.
type Browser struct {
	Server *Server
	// RewriteURL, when set, may change the authorize URL before it is loaded (tests use it to
	// swap the PKCE challenge).
	RewriteURL func(u *url.URL)
	// LoginHint, when set, replaces the request's login_hint (the person picks this account).
	LoginHint string
}

// NewBrowser returns a browser for the emulator s.
func NewBrowser(s *Server) *Browser { return &Browser{Server: s} }

// Open loads authorizeURL and completes the redirect to the loopback listener. An error page
// from the emulator or a refusal by the listener is returned as an error.
func (b *Browser) Open(authorizeURL string) error {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return err
	}
	if err := b.checkHost(u); err != nil {
		return err
	}
	if b.LoginHint != "" {
		q := u.Query()
		q.Set("login_hint", b.LoginHint)
		u.RawQuery = q.Encode()
	}
	if b.RewriteURL != nil {
		b.RewriteURL(u)
	}
	c := b.Server.HTTPClient()
	c.Timeout = 30 * time.Second
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	body, err := readPage(c.Get(u.String()))
	if err != nil {
		return fmt.Errorf("emulator browser: sign-in page: %w", err)
	}
	action, fields, err := parseForm(body)
	if err != nil {
		return err
	}
	// The listener is plain http on localhost: use a client without the emulator's TLS settings.
	lc := &http.Client{Timeout: 30 * time.Second}
	if _, err := readPage(lc.PostForm(action, fields)); err != nil {
		return fmt.Errorf("emulator browser: the app's redirect URI: %w", err)
	}
	return nil
}

func (b *Browser) checkHost(u *url.URL) error {
	if u.Scheme != "https" || "https://"+u.Host != b.Server.URL() {
		return fmt.Errorf("emulator browser: refusing to open %s://%s (not the identity emulator)", u.Scheme, u.Host)
	}
	return nil
}

// DeviceLogin is the person opening the verification URL and entering the user code.
func (b *Browser) DeviceLogin(verificationURL, userCode string) error {
	u, err := url.Parse(verificationURL)
	if err != nil {
		return err
	}
	if err := b.checkHost(u); err != nil {
		return err
	}
	form := url.Values{"user_code": {userCode}}
	if b.LoginHint != "" {
		form.Set("login_hint", b.LoginHint)
	}
	if _, err := readPage(b.Server.HTTPClient().PostForm(verificationURL, form)); err != nil {
		return fmt.Errorf("emulator browser: device login: %w", err)
	}
	return nil
}

// readPage reads a page; a status other than 200 is an error quoting the page's text.
func readPage(resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %d: %s", resp.StatusCode, pageText(body))
	}
	return body, nil
}

// parseForm finds the first form's action and its hidden inputs.
func parseForm(page []byte) (string, url.Values, error) {
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		return "", nil, err
	}
	var action string
	fields := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "form":
				if action == "" {
					action = attr["action"]
				}
			case "input":
				if attr["type"] == "hidden" && attr["name"] != "" {
					fields.Set(attr["name"], attr["value"])
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if action == "" {
		return "", nil, fmt.Errorf("emulator browser: the sign-in page has no form")
	}
	return action, fields, nil
}

var tags = regexp.MustCompile(`<[^>]*>|\s+`)

func pageText(b []byte) string {
	t := strings.TrimSpace(tags.ReplaceAllString(string(b), " "))
	if len(t) > 400 {
		t = t[:400]
	}
	return t
}
