// Package store keeps the app's local state in an embedded SQLite database (pure Go, WAL):
// directories, sync settings, the standing confirmation, id mappings, runs, the apply journal,
// delta links, and the per-directory sync lock. It never holds a secret.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"

	"github.com/idpsync/idpsync/internal/apperr"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the home folder.
const FileName = "idpsync.db"

// Store is safe for concurrent use; SQLite serializes writers (busy_timeout waits for them).
type Store struct {
	db   *sql.DB
	home string
}

// Home is the folder of the store: configured (config.Config.Home, from IDPSYNC_HOME) when set,
// else os.UserConfigDir()/idpsync.
func Home(configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", apperr.Wrap(err, apperr.Internal, "no user configuration folder").WithAction("Set IDPSYNC_HOME to a folder IdP Sync may use.")
	}
	return filepath.Join(d, "idpsync"), nil
}

// Open opens or creates the store in home and brings its schema up to date.
func Open(ctx context.Context, home string) (*Store, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "cannot create %s", home)
	}
	if err := tighten(home); err != nil {
		return nil, err
	}
	q := url.Values{}
	// busy_timeout lets the GUI and a headless run share the file; WAL lets readers run beside the
	// writer; synchronous NORMAL is durable across process crashes (only power loss may lose the
	// last commits, which the journal's reconcile-on-resume tolerates).
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.ToSlash(filepath.Join(home, FileName)) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.StoreCorrupt, "cannot open the local database")
	}
	s := &Store{db: db, home: home}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// tighten makes the home folder private (0700) and the database with its WAL and shared-memory
// files private to the user (0600), also when an earlier version or another tool made them
// with the umask's 0755/0644: they hold every synced user's name, email and group memberships.
// SQLite creates -wal and -shm with the database file's mode, so the database is created here,
// empty, with 0600 before the driver opens it. On Windows, Chmod only sets the read-only bit and
// the folder's ACL (the user profile's) keeps it private.
func tighten(home string) error {
	if err := os.Chmod(home, 0o700); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot make %s private", home)
	}
	db := filepath.Join(home, FileName)
	f, err := os.OpenFile(db, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot create the local database in %s", home)
	}
	f.Close()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return apperr.Wrap(err, apperr.Internal, "cannot make %s private", p)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the database for tests of other packages' crash behaviour.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return apperr.Wrap(err, apperr.StoreCorrupt, "cannot read the local database")
	}
	var cur int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur)
	if err != nil {
		return apperr.Wrap(err, apperr.StoreCorrupt, "cannot read the schema version")
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "migrations")
	}
	sort.Strings(names)
	latest := 0
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return apperr.Wrap(err, apperr.Internal, "bad migration name %s", name)
		}
		latest = max(latest, v)
		if v <= cur {
			continue
		}
		body, _ := migrations.ReadFile(name)
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return apperr.Wrap(err, apperr.StoreCorrupt, "cannot migrate the local database")
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return apperr.Wrap(err, apperr.StoreCorrupt, "migration %s failed", filepath.Base(name))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return apperr.Wrap(err, apperr.StoreCorrupt, "migration %s failed", filepath.Base(name))
		}
		if err := tx.Commit(); err != nil {
			return apperr.Wrap(err, apperr.StoreCorrupt, "migration %s failed", filepath.Base(name))
		}
	}
	if cur > latest {
		return apperr.New(apperr.StoreCorrupt, "the local database was written by a newer version of IdP Sync (schema %d, this version knows %d)", cur, latest).
			WithAction("Update IdP Sync.")
	}
	return nil
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// IntegrityCheck runs PRAGMA integrity_check and returns StoreCorrupt unless it says ok.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return apperr.Wrap(err, apperr.StoreCorrupt, "integrity check failed")
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return apperr.Wrap(err, apperr.StoreCorrupt, "integrity check failed")
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return apperr.New(apperr.StoreCorrupt, "the local database is damaged: %s", strings.Join(msgs, "; "))
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFound(err error, what string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, what, args...)
	}
	return apperr.Wrap(err, apperr.Internal, "database error: %s", fmt.Sprintf(what, args...))
}

func dbErr(err error, what string) error {
	if err == nil {
		return nil
	}
	return apperr.Wrap(err, apperr.Internal, "database error: %s", what)
}

// eachRow runs the query q and calls scan with each row in turn, one at a time, so a caller
// streaming rows into its own type holds none of them twice; the first error (the query's,
// scan's, the cursor's) stops it and is reported as the store's failure to do what.
func eachRow(ctx context.Context, s *Store, what, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return dbErr(err, what)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return dbErr(err, what)
		}
	}
	return dbErr(rows.Err(), what)
}

// allRows is eachRow collecting what scan makes of each row (nil with the error, if any).
func allRows[T any](ctx context.Context, s *Store, what, q string, args []any, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	var out []T
	err := eachRow(ctx, s, what, q, args, func(rows *sql.Rows) error {
		x, err := scan(rows)
		out = append(out, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
