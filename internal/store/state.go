package store

import (
	"context"
	"database/sql"
	"iter"
	"slices"
	"time"
)

// Mapping links an Entra object to its Atlassian SCIM object.
type Mapping struct {
	Kind    string // "user" | "group"
	EntraID string
	SCIMID  string
	Managed bool   // created or adopted by this app (so it may deactivate or overwrite it)
	Hash    string // hash of the last synced desired state, to skip unchanged objects
}

// Mappings returns every mapping of a directory.
func (s *Store) Mappings(ctx context.Context, dirID string) ([]Mapping, error) {
	var out []Mapping
	err := s.EachMapping(ctx, dirID, func(m Mapping) { out = append(out, m) })
	return out, err
}

// EachMapping calls fn with every mapping of a directory, one row at a time, so that a caller
// keeping them in its own type (the engine's adapter) holds no second copy of a million rows.
func (s *Store) EachMapping(ctx context.Context, dirID string, fn func(Mapping)) error {
	return eachRow(ctx, s, "read mappings", `SELECT kind, entra_id, scim_id, managed, hash FROM mappings WHERE directory_id=?`, []any{dirID}, func(rows *sql.Rows) error {
		var m Mapping
		var managed int
		if err := rows.Scan(&m.Kind, &m.EntraID, &m.SCIMID, &managed, &m.Hash); err != nil {
			return err
		}
		m.Managed = managed != 0
		fn(m)
		return nil
	})
}

// PutMappings upserts ms in one transaction; an empty SCIMID deletes the mapping.
func (s *Store) PutMappings(ctx context.Context, dirID string, ms []Mapping) error {
	return s.PutMappingsSeq(ctx, dirID, slices.Values(ms))
}

// PutMappingsSeq is PutMappings of what ms yields, so that a caller converting from its own type
// (the engine's adapter) builds no second slice of them.
func (s *Store) PutMappingsSeq(ctx context.Context, dirID string, ms iter.Seq[Mapping]) error {
	return eachInTx(ctx, s, "save mappings", []string{
		`INSERT INTO mappings (directory_id, kind, entra_id, scim_id, managed, hash, updated) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(directory_id, kind, entra_id) DO UPDATE SET scim_id=excluded.scim_id, managed=excluded.managed, hash=excluded.hash, updated=excluded.updated`,
		`DELETE FROM mappings WHERE directory_id=? AND kind=? AND entra_id=?`}, ms,
		func(st []*sql.Stmt, m Mapping, now string) error {
			var err error
			if m.SCIMID == "" {
				_, err = st[1].ExecContext(ctx, dirID, m.Kind, m.EntraID)
			} else {
				_, err = st[0].ExecContext(ctx, dirID, m.Kind, m.EntraID, m.SCIMID, b2i(m.Managed), m.Hash, now)
			}
			return err
		})
}

// eachInTx runs exec for every item in one transaction with the queries prepared, and commits;
// no item opens no transaction. what names the work in errors.
func eachInTx[T any](ctx context.Context, s *Store, what string, queries []string, items iter.Seq[T], exec func(st []*sql.Stmt, item T, now string) error) error {
	var tx *sql.Tx
	var sts []*sql.Stmt
	now := ts(time.Now())
	for it := range items {
		if tx == nil {
			var err error
			if tx, err = s.db.BeginTx(ctx, nil); err != nil {
				return dbErr(err, what)
			}
			defer tx.Rollback()
			for _, q := range queries {
				st, err := tx.PrepareContext(ctx, q)
				if err != nil {
					return dbErr(err, what)
				}
				defer st.Close()
				sts = append(sts, st)
			}
		}
		if err := exec(sts, it, now); err != nil {
			return dbErr(err, what)
		}
	}
	if tx == nil {
		return nil
	}
	return dbErr(tx.Commit(), what)
}

// DeltaState is what an incremental run resumes from.
type DeltaState struct {
	UsersLink      string
	GroupsLink     string
	SnapshotDigest string // digest of the snapshot file the links continue from
	RunsSinceFull  int
	Updated        time.Time
}

// DeltaState returns the directory's delta state, or nil when the next run must be full.
func (s *Store) DeltaState(ctx context.Context, dirID string) (*DeltaState, error) {
	var d DeltaState
	var up string
	err := s.db.QueryRowContext(ctx, `SELECT users_link, groups_link, snapshot_digest, runs_since_full, updated FROM delta_state WHERE directory_id=?`, dirID).
		Scan(&d.UsersLink, &d.GroupsLink, &d.SnapshotDigest, &d.RunsSinceFull, &up)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err, "read delta state")
	}
	d.Updated = parseTS(up)
	return &d, nil
}

// SetDeltaState stores d; nil clears it so the next run reads everything.
func (s *Store) SetDeltaState(ctx context.Context, dirID string, d *DeltaState) error {
	var err error
	if d == nil {
		_, err = s.db.ExecContext(ctx, `DELETE FROM delta_state WHERE directory_id=?`, dirID)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO delta_state (directory_id, users_link, groups_link, snapshot_digest, runs_since_full, updated) VALUES (?,?,?,?,?,?)
			ON CONFLICT(directory_id) DO UPDATE SET users_link=excluded.users_link, groups_link=excluded.groups_link, snapshot_digest=excluded.snapshot_digest, runs_since_full=excluded.runs_since_full, updated=excluded.updated`,
			dirID, d.UsersLink, d.GroupsLink, d.SnapshotDigest, d.RunsSinceFull, ts(time.Now()))
	}
	return dbErr(err, "save delta state")
}
