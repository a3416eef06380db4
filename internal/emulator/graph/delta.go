package graph

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/jsonstr"
)

// deltaState is what a delta or skip token carries. It is opaque to clients (base64 JSON).
type deltaState struct {
	Kind  string `json:"k"`           // users | groups
	Since uint64 `json:"s"`           // changes after this tenant version
	Upto  uint64 `json:"u,omitempty"` // the round's version (skip tokens)
	After string `json:"a,omitempty"` // last object id emitted in full
	ID    string `json:"i,omitempty"` // object whose members continue on the next page
	MOff  int    `json:"m,omitempty"` // members already emitted for ID
	Sel   string `json:"q,omitempty"` // $select of the round
	Epoch uint64 `json:"e"`
}

func encodeState(st deltaState) string {
	raw, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeState(tok string) (deltaState, bool) {
	var st deltaState
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(raw, &st) != nil || st.Kind == "" {
		return st, false
	}
	return st, true
}

type deltaKey struct {
	kind         string
	since, total uint64
}

// deltaSet caches one round's computed changes so each page does not recompute them.
type deltaSet struct {
	users  []tenant.UserDeltaItem
	groups []tenant.GroupDeltaItem
}

func (s *Server) deltaItems(kind string, since uint64) *deltaSet {
	t := s.opts.Tenant
	key := deltaKey{kind, since, t.Version()}
	s.mu.Lock()
	ds := s.deltaSets[key]
	s.mu.Unlock()
	if ds != nil {
		return ds
	}
	ds = &deltaSet{}
	if kind == "users" {
		ds.users, _ = t.UserDelta(since)
	} else {
		ds.groups, _ = t.GroupDelta(since)
	}
	s.mu.Lock()
	if len(s.deltaSets) >= 8 {
		clear(s.deltaSets)
	}
	s.deltaSets[key] = ds
	s.mu.Unlock()
	return ds
}

// startDelta resolves the round a delta request belongs to, writing the error itself when the
// token is invalid or expired.
func (s *Server) startDelta(w http.ResponseWriter, r *http.Request, q query, kind string) (deltaState, bool, bool) {
	s.mu.Lock()
	epoch := s.epoch
	s.mu.Unlock()
	tok, isSkip := q.delta, false
	if q.hasSkip {
		tok, isSkip = q.skip, true
	}
	if !q.hasSkip && !q.hasDT {
		return deltaState{Kind: kind, Sel: q.sel, Epoch: epoch}, false, true
	}
	if !isSkip && tok == "latest" {
		return deltaState{Kind: kind, Since: s.opts.Tenant.Version(), Sel: q.sel, Epoch: epoch}, true, true
	}
	st, ok := decodeState(tok)
	if !ok || st.Kind != kind {
		odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "The delta or skip token is invalid.")
		return st, false, false
	}
	if st.Epoch != epoch {
		odataError(w, r, http.StatusGone, "syncStateNotFound", "The sync state generation is not found or has expired. Please do a full resync.")
		return st, false, false
	}
	if !isSkip {
		st.After, st.ID, st.MOff = "", "", 0
	}
	return st, false, true
}

func (s *Server) deltaLink(r *http.Request, st deltaState) string {
	path := r.URL.Path
	if !strings.HasSuffix(path, ")") {
		path += "()"
	}
	next := deltaState{Kind: st.Kind, Since: s.opts.Tenant.Version(), Sel: st.Sel, Epoch: st.Epoch}
	if st.Upto != 0 {
		next.Since = st.Upto
	}
	return "https://" + r.Host + path + "?$deltatoken=" + encodeState(next)
}

func (s *Server) skipLink(r *http.Request, st deltaState) string {
	return "https://" + r.Host + r.URL.Path + "?$skiptoken=" + encodeState(st)
}

// deltaPage opens a delta page of kind (users, groups): it resolves the round (startDelta),
// checks the round's $select with sel, and starts the page. A round already at the latest state
// is answered here, an empty page with the next deltaLink; otherwise the round's upper bound is
// fixed at the tenant's current version on its first page, so that changes made while it pages
// wait for the next round. False: the request is answered already.
func (s *Server) deltaPage(w http.ResponseWriter, r *http.Request, q query, base, kind string, sel func(query) bool) (deltaState, []byte, bool) {
	st, latest, ok := s.startDelta(w, r, q, kind)
	if !ok || !sel(query{sel: st.Sel, hasSelect: st.Sel != ""}) {
		return st, nil, false
	}
	b := collectionStart(base, kind)
	if latest {
		writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.deltaLink", s.deltaLink(r, st)))
		return st, nil, false
	}
	if st.Upto == 0 {
		st.Upto = s.opts.Tenant.Version()
	}
	return st, b, true
}

func (s *Server) usersDelta(w http.ResponseWriter, r *http.Request, q query, base string) {
	var props []string
	st, b, ok := s.deltaPage(w, r, q, base, "users", func(sq query) (ok bool) {
		props, ok = userSelect(w, r, sq)
		return ok
	})
	if !ok {
		return
	}
	items := s.deltaItems("users", st.Since).users
	i := sort.Search(len(items), func(i int) bool { return items[i].User.ID > st.After })
	end := min(i+s.opts.DeltaPageSize, len(items))
	for k := i; k < end; k++ {
		if k > i {
			b = append(b, ',')
		}
		it := &items[k]
		if it.Removed != "" {
			b = append(b, `{"id":`...)
			b = jsonstr.Append(b, it.User.ID)
			b = append(b, `,"@removed":{"reason":`...)
			b = jsonstr.Append(b, it.Removed)
			b = append(b, "}}"...)
			continue
		}
		b = appendUser(b, &it.User, props)
	}
	if end < len(items) {
		st.After = items[end-1].User.ID
		writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.nextLink", s.skipLink(r, st)))
		return
	}
	writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.deltaLink", s.deltaLink(r, st)))
}

func (s *Server) groupsDelta(w http.ResponseWriter, r *http.Request, q query, base string) {
	var props []string
	var withMembers bool
	st, b, ok := s.deltaPage(w, r, q, base, "groups", func(sq query) (ok bool) {
		props, withMembers, ok = groupSelect(w, r, sq, "members")
		return ok
	})
	if !ok {
		return
	}
	items := s.deltaItems("groups", st.Since).groups
	var i int
	moff := 0
	if st.ID != "" {
		i = sort.Search(len(items), func(i int) bool { return items[i].Group.ID >= st.ID })
		if i < len(items) && items[i].Group.ID == st.ID {
			moff = st.MOff
		}
	} else {
		i = sort.Search(len(items), func(i int) bool { return items[i].Group.ID > st.After })
	}
	budget := s.opts.DeltaPageSize
	first := true
	for ; i < len(items) && budget > 0; i++ {
		it := &items[i]
		if !first {
			b = append(b, ',')
		}
		first = false
		budget--
		b = append(b, `{"@odata.type":"#microsoft.graph.group",`...)
		if it.Removed != "" {
			b = append(b, `"id":`...)
			b = jsonstr.Append(b, it.Group.ID)
			b = append(b, `,"@removed":{"reason":`...)
			b = jsonstr.Append(b, it.Removed)
			b = append(b, "}}"...)
			moff = 0
			continue
		}
		b = appendGroupFields(b, &it.Group, props)
		if withMembers && len(it.Members)-moff > 0 {
			n := min(len(it.Members)-moff, max(budget, 1))
			b = append(b, `,"members@delta":[`...)
			for k, m := range it.Members[moff : moff+n] {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"@odata.type":`...)
				b = jsonstr.Append(b, odataType(m.Member))
				b = append(b, `,"id":`...)
				b = jsonstr.Append(b, m.ID)
				if m.Removed {
					b = append(b, `,"@removed":{"reason":"deleted"}`...)
				}
				b = append(b, '}')
			}
			b = append(b, ']')
			budget -= n
			if moff+n < len(it.Members) {
				// This group's members continue on the next page, as Graph spans large groups.
				b = append(b, '}')
				st.ID, st.MOff, st.After = it.Group.ID, moff+n, ""
				writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.nextLink", s.skipLink(r, st)))
				return
			}
		}
		moff = 0
		b = append(b, '}')
	}
	if i < len(items) {
		st.After, st.ID, st.MOff = items[i-1].Group.ID, "", 0
		writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.nextLink", s.skipLink(r, st)))
		return
	}
	writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.deltaLink", s.deltaLink(r, st)))
}
