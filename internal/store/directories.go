package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Directory is one identity-provider directory (no secrets).
type Directory struct {
	ID              string
	Name            string
	Cloud           string
	ClientID        string
	TenantID        string // pinned at the first confirmed sync
	TenantName      string
	SCIMBaseURL     string
	OrgID           string
	AllowCustomHost bool
	SCIMKeyCreated  string // YYYY-MM-DD
	Account         string // signed-in UPN, for display
	Demo            bool
	Created         time.Time
	// Endpoint overrides ("" keeps the cloud's default): Graph base URL, sign-in authority root,
	// Atlassian organization API root.
	GraphURL     string
	AuthorityURL string
	OrgURL       string
	// SignInTenant is the tenant id or verified domain a single-tenant app registration signs
	// in through until TenantID is pinned ("" → the shared "organizations" endpoint).
	SignInTenant string
}

const dirCols = `id, name, cloud, client_id, tenant_id, tenant_name, scim_base_url, org_id, allow_custom_host, scim_key_created, account, demo, created, graph_url, authority_url, org_url, sign_in_tenant`

func scanDir(sc interface{ Scan(...any) error }) (Directory, error) {
	var d Directory
	var ach, demo int
	var created string
	err := sc.Scan(&d.ID, &d.Name, &d.Cloud, &d.ClientID, &d.TenantID, &d.TenantName, &d.SCIMBaseURL, &d.OrgID, &ach, &d.SCIMKeyCreated, &d.Account, &demo, &created, &d.GraphURL, &d.AuthorityURL, &d.OrgURL, &d.SignInTenant)
	d.AllowCustomHost, d.Demo, d.Created = ach != 0, demo != 0, parseTS(created)
	return d, err
}

// CreateDirectory inserts d; a duplicate name (case-insensitive) is InvalidInput.
func (s *Store) CreateDirectory(ctx context.Context, d Directory) error {
	if d.Created.IsZero() {
		d.Created = time.Now()
	}
	if err := s.nameTaken(ctx, d); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO directories (`+dirCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		d.ID, d.Name, d.Cloud, d.ClientID, d.TenantID, d.TenantName, d.SCIMBaseURL, d.OrgID, b2i(d.AllowCustomHost), d.SCIMKeyCreated, d.Account, b2i(d.Demo), ts(d.Created), d.GraphURL, d.AuthorityURL, d.OrgURL, d.SignInTenant)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return apperr.New(apperr.InvalidInput, "a directory named %q exists already", d.Name).WithAction("Choose another name.")
	}
	return dbErr(err, "create directory")
}

// UpdateDirectory replaces every column but id and created.
func (s *Store) UpdateDirectory(ctx context.Context, d Directory) error {
	if err := s.nameTaken(ctx, d); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE directories SET name=?, cloud=?, client_id=?, tenant_id=?, tenant_name=?, scim_base_url=?, org_id=?, allow_custom_host=?, scim_key_created=?, account=?, demo=?, graph_url=?, authority_url=?, org_url=?, sign_in_tenant=? WHERE id=?`,
		d.Name, d.Cloud, d.ClientID, d.TenantID, d.TenantName, d.SCIMBaseURL, d.OrgID, b2i(d.AllowCustomHost), d.SCIMKeyCreated, d.Account, b2i(d.Demo), d.GraphURL, d.AuthorityURL, d.OrgURL, d.SignInTenant, d.ID)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return apperr.New(apperr.InvalidInput, "a directory named %q exists already", d.Name).WithAction("Choose another name.")
	}
	if err != nil {
		return dbErr(err, "update directory")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NotFound, "no directory %s", d.ID)
	}
	return nil
}

// GetDirectory returns the directory with that id.
func (s *Store) GetDirectory(ctx context.Context, id string) (Directory, error) {
	d, err := scanDir(s.db.QueryRowContext(ctx, `SELECT `+dirCols+` FROM directories WHERE id=?`, id))
	if err != nil {
		return d, notFound(err, "no directory with id %s", id)
	}
	return d, nil
}

// DirectoryByName returns the directory with that name (case-insensitive).
func (s *Store) DirectoryByName(ctx context.Context, name string) (Directory, error) {
	d, err := scanDir(s.db.QueryRowContext(ctx, `SELECT `+dirCols+` FROM directories WHERE name=?`, name))
	if err == nil {
		return d, nil
	}
	// SQLite's NOCASE folds only ASCII letters: "Ünïcode" and "ÜNÏCODE" are one name to the
	// admin, so the fallback compares with Unicode case folding.
	if err == sql.ErrNoRows {
		if ds, lerr := s.ListDirectories(ctx); lerr == nil {
			for _, x := range ds {
				if strings.EqualFold(x.Name, name) {
					return x, nil
				}
			}
		}
	}
	return d, notFound(err, "no directory named %q", name)
}

// nameTaken refuses a name that another directory has in any case (Unicode case folding, which
// the column's NOCASE collation does only for ASCII).
func (s *Store) nameTaken(ctx context.Context, d Directory) error {
	ds, err := s.ListDirectories(ctx)
	if err != nil {
		return err
	}
	for _, x := range ds {
		if x.ID != d.ID && strings.EqualFold(x.Name, d.Name) {
			return apperr.New(apperr.InvalidInput, "a directory named %q exists already", x.Name).WithAction("Choose another name.")
		}
	}
	return nil
}

// ListDirectories returns all directories by name.
func (s *Store) ListDirectories(ctx context.Context) ([]Directory, error) {
	return allRows(ctx, s, "list directories", `SELECT `+dirCols+` FROM directories ORDER BY name`, nil, scanDir)
}

// DeleteDirectory removes the directory and, by cascade, its settings, mappings, runs and journal.
func (s *Store) DeleteDirectory(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM directories WHERE id=?`, id)
	return dbErr(err, "delete directory")
}

// Settings returns the directory's settings JSON, or nil when none were saved.
func (s *Store) Settings(ctx context.Context, dirID string) ([]byte, error) {
	var js string
	err := s.db.QueryRowContext(ctx, `SELECT json FROM settings WHERE directory_id=?`, dirID).Scan(&js)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return []byte(js), dbErr(err, "read settings")
}

// SaveSettings stores v as the directory's settings JSON.
func (s *Store) SaveSettings(ctx context.Context, dirID string, v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "settings")
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO settings (directory_id, json, updated) VALUES (?,?,?)
		ON CONFLICT(directory_id) DO UPDATE SET json=excluded.json, updated=excluded.updated`, dirID, string(js), ts(time.Now()))
	return dbErr(err, "save settings")
}

// Confirmation is the standing confirmation of a directory: what the admin last confirmed.
type Confirmation struct {
	TenantID string
	Domains  []string
	Account  string
	At       time.Time
}

// StandingConfirmation returns the last confirmation, or nil.
func (s *Store) StandingConfirmation(ctx context.Context, dirID string) (*Confirmation, error) {
	var c Confirmation
	var doms, at string
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id, domains, account, at FROM confirmations WHERE directory_id=?`, dirID).Scan(&c.TenantID, &doms, &c.Account, &at)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err, "read confirmation")
	}
	_ = json.Unmarshal([]byte(doms), &c.Domains)
	c.At = parseTS(at)
	return &c, nil
}

// SetStandingConfirmation records what the admin confirmed.
func (s *Store) SetStandingConfirmation(ctx context.Context, dirID string, c Confirmation) error {
	doms, _ := json.Marshal(c.Domains)
	_, err := s.db.ExecContext(ctx, `INSERT INTO confirmations (directory_id, tenant_id, domains, account, at) VALUES (?,?,?,?,?)
		ON CONFLICT(directory_id) DO UPDATE SET tenant_id=excluded.tenant_id, domains=excluded.domains, account=excluded.account, at=excluded.at`,
		dirID, c.TenantID, string(doms), c.Account, ts(c.At))
	return dbErr(err, "save confirmation")
}

// Decisions returns the admin's conflict decisions by Entra group id.
func (s *Store) Decisions(ctx context.Context, dirID string) (map[string]string, error) {
	out := map[string]string{}
	err := eachRow(ctx, s, "read decisions", `SELECT group_entra_id, decision FROM conflict_decisions WHERE directory_id=?`, []any{dirID}, func(rows *sql.Rows) error {
		var g, d string
		err := rows.Scan(&g, &d)
		out[g] = d
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetDecision records "take_over" or "skip" for a conflicting group ("" removes it).
func (s *Store) SetDecision(ctx context.Context, dirID, groupEntraID, decision string) error {
	var err error
	if decision == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM conflict_decisions WHERE directory_id=? AND group_entra_id=?`, dirID, groupEntraID)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO conflict_decisions (directory_id, group_entra_id, decision, at) VALUES (?,?,?,?)
			ON CONFLICT(directory_id, group_entra_id) DO UPDATE SET decision=excluded.decision, at=excluded.at`, dirID, groupEntraID, decision, ts(time.Now()))
	}
	return dbErr(err, "save decision")
}

// LearnedSCIMRate returns the SCIM rate (requests/s) the directory's runs last learned, or 0.
func (s *Store) LearnedSCIMRate(ctx context.Context, dirID string) (float64, error) {
	var r float64
	err := s.db.QueryRowContext(ctx, `SELECT rate FROM scim_pacing WHERE directory_id=?`, dirID).Scan(&r)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return r, dbErr(err, "read the learned SCIM rate")
}

// SetLearnedSCIMRate records the SCIM rate a run learned; a rate ≤ 0 is ignored.
func (s *Store) SetLearnedSCIMRate(ctx context.Context, dirID string, rate float64) error {
	if rate <= 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO scim_pacing (directory_id, rate, learned) VALUES (?,?,?)
		ON CONFLICT(directory_id) DO UPDATE SET rate=excluded.rate, learned=excluded.learned`, dirID, rate, ts(time.Now()))
	return dbErr(err, "save the learned SCIM rate")
}
