package backend

import (
	"context"
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/store"
)

// readTenant reads the signed-in tenant of directory id and its domains from Graph: the tenant
// card and the domain list are both what Graph says now, never a stored copy.
func (b *Backend) readTenant(ctx context.Context, id string) (store.Directory, directory.Tenant, []directory.Domain, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return store.Directory{}, directory.Tenant{}, nil, err
	}
	r, err := b.reader(ctx, d)
	if err != nil {
		return store.Directory{}, directory.Tenant{}, nil, err
	}
	t, doms, err := r.ReadTenant(ctx)
	return d, t, doms, err
}

func (b *Backend) Tenant(ctx context.Context, id string) (TenantCard, error) {
	d, t, _, err := b.readTenant(ctx, id)
	if err != nil {
		return TenantCard{}, err
	}
	return TenantCard{ID: t.ID, DisplayName: t.DisplayName, InitialDomain: t.InitialDomain, DefaultDomain: t.DefaultDomain,
		PinnedTenantID: d.TenantID, Mismatch: d.TenantID != "" && !strings.EqualFold(d.TenantID, t.ID)}, nil
}

func (b *Backend) Domains(ctx context.Context, id string) ([]DomainRow, error) {
	d, _, doms, err := b.readTenant(ctx, id)
	if err != nil {
		return nil, err
	}
	claims := map[string]string{}
	known := false
	if o, err := b.org(ctx, d); err != nil {
		return nil, err
	} else if o != nil {
		ods, err := o.ListDomains(ctx)
		if err != nil {
			return nil, err
		}
		known = true
		for _, od := range ods {
			claims[strings.ToLower(od.Name)] = od.Status
		}
	}
	s, err := b.settings(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]DomainRow, 0, len(doms))
	for _, dm := range doms {
		name := strings.ToLower(dm.Name)
		row := DomainRow{Name: name, VerifiedInEntra: dm.IsVerified, IsDefault: dm.IsDefault, IsInitial: dm.IsInitial, Selectable: dm.IsVerified, AtlassianStatus: "unknown"}
		if known {
			row.AtlassianStatus = "not_claimed"
			if st, ok := claims[name]; ok {
				row.AtlassianStatus = st
			}
		}
		row.Selected = dm.IsVerified && (s.DomainMode != engine.DomainsSpecific || slices.Contains(s.Domains, name))
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b DomainRow) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
