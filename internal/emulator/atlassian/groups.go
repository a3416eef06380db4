package atlassian

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type wireMember struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Ref     string `json:"$ref,omitempty"`
}

type wireGroup struct {
	Schemas     []string       `json:"schemas"`
	ID          string         `json:"id,omitempty"`
	ExternalID  string         `json:"externalId,omitempty"`
	DisplayName string         `json:"displayName"`
	Members     []wireMember   `json:"members"`
	Meta        map[string]any `json:"meta,omitempty"`
}

func (s *Server) renderGroup(g *group) any {
	w := wireGroup{Schemas: []string{schemaGroup}, ID: g.id, ExternalID: g.externalID, DisplayName: g.displayName, Members: []wireMember{},
		Meta: map[string]any{"resourceType": "Group", "created": g.created.Format(time.RFC3339), "location": s.SCIMURL() + "/Groups/" + g.id}}
	for _, id := range sortedKeys(g.members) {
		m := wireMember{Value: id}
		if u := s.users[id]; u != nil {
			m.Display = u.UserName
		}
		w.Members = append(w.Members, m)
	}
	return w
}

// groupFromWire decodes a POST or PUT body; one that is not a SCIM group is answered 400
// invalidSyntax (false).
func groupFromWire(w http.ResponseWriter, body []byte) (wireGroup, bool) {
	var in wireGroup
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, bad("invalidSyntax", "Request body is not a valid SCIM group: %v", err))
		return in, false
	}
	return in, true
}

// serveGroups answers /Groups (caller holds s.mu).
func (s *Server) serveGroups(w http.ResponseWriter, r *http.Request, rest []string, body []byte) {
	route(w, r.Method, rest, "GROUP", s.groups, scimMethods[*group]{
		list: func() { s.listGroups(w, r) },
		create: func() {
			in, ok := groupFromWire(w, body)
			if !ok {
				return
			}
			g, e := s.createGroup(in.DisplayName, in.ExternalID, "")
			if e == nil && len(in.Members) > 0 {
				ng := cloneGroup(g)
				if e = s.addMembers(ng, in.Members); e == nil {
					g.members = ng.members
				} else {
					s.dropGroup(g)
				}
			}
			reply(w, e, http.StatusCreated, func() any { return s.renderGroup(g) })
		},
		get: func(g *group) { writeJSON(w, 200, s.renderGroup(g)) },
		put: func(g *group) {
			in, ok := groupFromWire(w, body)
			if !ok {
				return
			}
			ng := cloneGroup(g)
			e := s.rename(ng, in.DisplayName)
			if e == nil {
				ng.members = map[string]struct{}{} // PUT clears what it does not carry
				e = s.addMembers(ng, in.Members)
			}
			if e == nil {
				e = s.setGroupExternalID(g, ng, in.ExternalID)
			}
			if e == nil {
				*g = *ng
			}
			reply(w, e, 200, func() any { return s.renderGroup(g) })
		},
		patch: func(g *group) {
			ops, e := parsePatch(body)
			ng := cloneGroup(g)
			if e == nil {
				for _, op := range ops {
					if e = s.patchGroup(g, ng, op); e != nil {
						break
					}
				}
			}
			if e == nil {
				*g = *ng
			}
			reply(w, e, http.StatusNoContent, nil)
		},
		del: s.dropGroup,
	})
}

func cloneGroup(g *group) *group {
	c := *g
	c.members = make(map[string]struct{}, len(g.members))
	for k := range g.members {
		c.members[k] = struct{}{}
	}
	return &c
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	// Atlassian documents one group filter: "a single exact match (eq) against the displayName
	// attribute" (Get groups, user-provisioning REST API).
	allowed := []string{"displayName"}
	if s.opts.Lenient {
		allowed = append(allowed, "externalId")
	}
	listResources(w, r, &s.groupIdx, s.groups, allowed, s.renderGroup)
}

// createGroup stores a new group (caller holds s.mu).
func (s *Server) createGroup(name, externalID, id string) (*group, *scimErr) {
	if strings.TrimSpace(name) == "" {
		return nil, bad("invalidValue", "Attribute displayName is required")
	}
	key := strings.ToLower(name)
	if og, ok := s.orgGroups[key]; ok {
		if og.DefaultAccess {
			return nil, bad("", "Group %q is a default access group on a product site and cannot be synced from an identity provider. Change its default access status in admin.atlassian.com, then sync again.", name)
		}
		return nil, &scimErr{409, "uniqueness", fmt.Sprintf("Resource [GROUP]: with displayName[%s] already exists.", name)}
	}
	if e := s.groupIdx.clash("GROUP", "displayName", name, externalID, ""); e != nil {
		return nil, e
	}
	if id == "" {
		id = newID()
	}
	g := &group{id: id, externalID: externalID, displayName: name, members: map[string]struct{}{}, created: time.Now().UTC()}
	s.groups[id] = g
	s.groupIdx.add(id, name, externalID)
	return g, nil
}

func (s *Server) dropGroup(g *group) {
	delete(s.groups, g.id)
	s.groupIdx.remove(g.id, g.displayName, g.externalID)
}

// rename refuses any change of name: "Renaming groups after they've synced to your Atlassian
// organization isn't supported".
func (s *Server) rename(g *group, name string) *scimErr {
	if name != g.displayName {
		return bad("mutability", "Renaming a group is not supported. Create a group with the new name, move its members, then delete the old group.")
	}
	return nil
}

func (s *Server) setGroupExternalID(orig, ng *group, ext string) *scimErr {
	if ext == orig.externalID {
		return nil
	}
	if e := s.groupIdx.clash("GROUP", "displayName", orig.displayName, ext, orig.id); e != nil {
		return e // the name is orig's own (no rename): only the externalId can clash
	}
	s.groupIdx.rekey(orig.id, orig.displayName, orig.externalID, orig.displayName, ext)
	ng.externalID = ext
	return nil
}

// addMembers validates and adds members: only users of this directory (groups cannot contain
// groups), and at most MaxMembers per group. Adding a present member is a no-op.
func (s *Server) addMembers(g *group, ms []wireMember) *scimErr {
	if s.isDefaultAccess(g.displayName) {
		return bad("", "Group %q is a default access group and cannot be managed through SCIM.", g.displayName)
	}
	for _, m := range ms {
		if _, isGroup := s.groups[m.Value]; isGroup {
			return bad("invalidValue", "Member %s is a group: groups cannot contain groups in Atlassian.", m.Value)
		}
		if s.users[m.Value] == nil {
			return bad("invalidValue", "Member %s is not a user of this directory.", m.Value)
		}
		g.members[m.Value] = struct{}{}
	}
	if len(g.members) > s.opts.MaxMembers {
		return bad("", "Group %q would have %d members: a group can have at most %d users.", g.displayName, len(g.members), s.opts.MaxMembers)
	}
	return nil
}

func (s *Server) isDefaultAccess(name string) bool {
	og, ok := s.orgGroups[strings.ToLower(name)]
	return ok && og.DefaultAccess
}

func (s *Server) patchGroup(orig, g *group, op patchOp) *scimErr {
	if op.Path == "" {
		subs, e := pathless(op)
		for _, sub := range subs {
			if e == nil {
				e = s.patchGroup(orig, g, sub)
			}
		}
		return e
	}
	path := strings.ToLower(op.Path)
	switch path {
	case "displayname":
		var name string
		if op.Op == "remove" || json.Unmarshal(op.Value, &name) != nil {
			return bad("mutability", "displayName is required")
		}
		return s.rename(g, name)
	case "externalid":
		var ext string
		if op.Op != "remove" {
			if err := json.Unmarshal(op.Value, &ext); err != nil {
				return bad("invalidValue", "externalId: a string is expected")
			}
		}
		return s.setGroupExternalID(orig, g, ext)
	case "members":
		var ms []wireMember
		if len(op.Value) > 0 {
			if err := json.Unmarshal(op.Value, &ms); err != nil {
				return bad("invalidValue", "members: a list of {value} is expected")
			}
		}
		switch op.Op {
		case "add":
			return s.addMembers(g, ms)
		case "replace":
			g.members = map[string]struct{}{}
			return s.addMembers(g, ms)
		default: // remove: the listed members (Entra style), or all of them
			if s.isDefaultAccess(g.displayName) {
				return bad("", "Group %q is a default access group and cannot be managed through SCIM.", g.displayName)
			}
			if len(ms) == 0 {
				g.members = map[string]struct{}{}
			}
			for _, m := range ms {
				delete(g.members, m.Value)
			}
			return nil
		}
	}
	if strings.HasPrefix(path, "members[") && strings.HasSuffix(path, "]") {
		if op.Op != "remove" {
			return bad("invalidPath", "%s is only supported with remove", op.Path)
		}
		attr, val, e := parseFilter(op.Path[len("members["):len(op.Path)-1], "value")
		if e != nil || attr != "value" {
			return bad("invalidPath", "Unsupported path %q: use members[value eq \"id\"]", op.Path)
		}
		delete(g.members, val) // removing an absent member is a no-op, so retries are safe
		return nil
	}
	return bad("invalidPath", "Unsupported path %q", op.Path)
}
