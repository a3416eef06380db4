package backend

import (
	"context"
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/engine"
)

// RetiredGroup is an Atlassian group an Entra rename retired (its externalId still names the
// Entra group, whose mapping now points at the new group) that still holds members: it still
// grants whatever product access and permissions it has.
type RetiredGroup struct {
	SCIMID       string `json:"scimId"`
	Name         string `json:"name"`
	EntraID      string `json:"entraId"`
	CurrentGroup string `json:"currentGroup"` // the Atlassian group the Entra group syncs to now
	Members      int    `json:"members"`
}

// RetiredGroups lists the directory's retired groups that still hold members (one full read of
// the directory's groups: the overview asks for it on demand).
func (b *Backend) RetiredGroups(ctx context.Context, dirID string) ([]RetiredGroup, error) {
	c, err := b.scimOf(ctx, dirID)
	if err != nil {
		return nil, err
	}
	maps, err := b.st.Mappings(ctx, dirID)
	if err != nil {
		return nil, err
	}
	current := map[string]string{} // entra group id → mapped SCIM id
	for _, m := range maps {
		if m.Kind == "group" {
			current[m.EntraID] = m.SCIMID
		}
	}
	names := map[string]string{}
	var cands []atlassian.Group
	if err := c.ListGroups(ctx, func(g atlassian.Group) error {
		names[g.ID] = g.DisplayName
		if owner := engine.ExternalOwner(g.ExternalID); owner != "" && current[owner] != "" && current[owner] != g.ID && len(g.Members) > 0 {
			cands = append(cands, g)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := []RetiredGroup{}
	for _, g := range cands {
		owner := engine.ExternalOwner(g.ExternalID)
		out = append(out, RetiredGroup{SCIMID: g.ID, Name: g.DisplayName, EntraID: owner, CurrentGroup: names[current[owner]], Members: len(g.Members)})
	}
	slices.SortFunc(out, func(a, b RetiredGroup) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// FinishRename empties and deletes a retired group once the admin has moved its product access
// to the new group. confirmName must repeat the group's name (the confirmation); the group must
// still be a retired one of this directory, and the directory's lock is held, so no sync runs
// meanwhile.
func (b *Backend) FinishRename(ctx context.Context, dirID, scimID, confirmName string) ([]RetiredGroup, error) {
	list, err := b.RetiredGroups(ctx, dirID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(r RetiredGroup) bool { return r.SCIMID == scimID })
	if i < 0 {
		return nil, apperr.New(apperr.NotFound, "no retired group with members has the id %q in this directory", scimID).
			WithAction("Reload the overview: the group may have been finished or changed in Atlassian.")
	}
	r := list[i]
	if strings.TrimSpace(confirmName) != r.Name {
		return nil, apperr.New(apperr.ConfirmationRequired, "type the group's name, %q, to confirm removing its %d members and deleting it", r.Name, r.Members).
			WithAction("Move the group's product access to " + r.CurrentGroup + " first: deleting it removes the access and permissions it grants.")
	}
	lock, err := b.st.LockDirectory(ctx, dirID, "finish rename")
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	c, err := b.scimOf(ctx, dirID)
	if err != nil {
		return nil, err
	}
	g, err := c.GetGroup(ctx, scimID)
	if err != nil {
		return nil, err
	}
	if err := c.RemoveMembers(ctx, scimID, g.Members); err != nil {
		return nil, err
	}
	if err := c.DeleteGroup(ctx, scimID); err != nil && apperr.CodeOf(err) != apperr.AtlassianNotFound {
		return nil, err
	}
	return b.RetiredGroups(ctx, dirID)
}

func (b *Backend) scimOf(ctx context.Context, dirID string) (*atlassian.SCIM, error) {
	d, err := b.st.GetDirectory(ctx, dirID)
	if err != nil {
		return nil, err
	}
	return b.scim(ctx, d, 0)
}
