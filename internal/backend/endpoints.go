package backend

import (
	"net/url"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/store"
)

// endpoints are the hosts a directory's clients talk to: the command line's overrides
// (Options.Endpoints, for one run) win over the directory's stored Advanced endpoints, which win
// over the cloud's defaults (left empty here; auth, entra and atlassian fill them in). So the GUI
// and the headless commands reach the same hosts for the same directory.
func (b *Backend) endpoints(d store.Directory) Endpoints {
	ep := Endpoints{Authority: d.AuthorityURL, GraphURL: d.GraphURL, OrgURL: d.OrgURL, SCIMURL: d.SCIMBaseURL}
	o := b.opts.Endpoints
	if o.Authority != "" {
		ep.Authority = o.Authority
	}
	if o.GraphURL != "" {
		ep.GraphURL = o.GraphURL
	}
	if o.OrgURL != "" {
		ep.OrgURL = o.OrgURL
	}
	if o.SCIMURL != "" {
		ep.SCIMURL = o.SCIMURL
	}
	return ep
}

// validateEndpoints trims and checks the Advanced endpoints: absolute https URLs without a user,
// query or fragment, because the Graph token, the sign-in and the organization key travel to
// them. Empty keeps the cloud's default.
func validateEndpoints(in *DirectoryInput) error {
	for _, f := range []struct {
		label string
		v     *string
	}{{"Microsoft Graph URL", &in.GraphURL}, {"sign-in authority", &in.AuthorityURL}, {"organization API URL", &in.OrgURL}} {
		*f.v = strings.TrimRight(strings.TrimSpace(*f.v), "/")
		if *f.v == "" {
			continue
		}
		u, err := url.Parse(*f.v)
		if err != nil || u.Host == "" || u.Scheme == "" {
			return apperr.New(apperr.InvalidInput, "the %s %q is not a URL", f.label, *f.v).WithAction("Enter the full address, starting with https://, or leave it empty for the default.")
		}
		if u.Scheme != "https" {
			return apperr.New(apperr.InsecureURL, "the %s %q does not use https: tokens and keys would travel in clear text", f.label, *f.v).
				WithAction("Use an https:// address.")
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return apperr.New(apperr.InvalidInput, "the %s %q must not carry a user, query or fragment", f.label, *f.v).WithAction("Remove everything after the path.")
		}
	}
	return nil
}
