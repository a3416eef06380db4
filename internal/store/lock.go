package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Lock is a directory's sync lock. The OS file lock is the real lock (the kernel releases it when
// the process dies, so a crash never leaves a directory locked); the row only names the holder
// for the message the second sync gets.
type Lock struct {
	s     *Store
	dirID string
	f     *os.File
}

// LockDirectory takes the directory's sync lock without waiting, or returns SyncLocked naming
// the holder.
func (s *Store) LockDirectory(ctx context.Context, dirID, purpose string) (*Lock, error) {
	dir := filepath.Join(s.home, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "cannot create the lock folder")
	}
	f, err := os.OpenFile(filepath.Join(dir, dirID+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "cannot open the lock file")
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, s.lockedError(ctx, dirID)
	}
	host, _ := os.Hostname()
	_, err = s.db.ExecContext(ctx, `INSERT INTO locks (directory_id, pid, host, purpose, started) VALUES (?,?,?,?,?)
		ON CONFLICT(directory_id) DO UPDATE SET pid=excluded.pid, host=excluded.host, purpose=excluded.purpose, started=excluded.started`,
		dirID, os.Getpid(), host, purpose, ts(time.Now()))
	if err != nil {
		unlock(f)
		f.Close()
		return nil, dbErr(err, "record lock")
	}
	return &Lock{s: s, dirID: dirID, f: f}, nil
}

func (s *Store) lockedError(ctx context.Context, dirID string) error {
	var pid int
	var host, purpose, started string
	err := s.db.QueryRowContext(ctx, `SELECT pid, host, purpose, started FROM locks WHERE directory_id=?`, dirID).Scan(&pid, &host, &purpose, &started)
	who := "another IdP Sync process"
	if err == nil {
		who = fmt.Sprintf("process %d on %s (%s, since %s)", pid, host, purpose, parseTS(started).Local().Format(time.DateTime))
	} else if err != sql.ErrNoRows {
		who = "another IdP Sync process"
	}
	return apperr.New(apperr.SyncLocked, "another sync of this directory is running: %s", who).
		WithAction("Wait for it to finish, or stop it, then try again.")
}

// Unlock releases the lock; safe to call twice.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_, _ = l.s.db.Exec(`DELETE FROM locks WHERE directory_id=? AND pid=?`, l.dirID, os.Getpid())
	unlock(l.f)
	l.f.Close()
	l.f = nil
}

// TryLock is LockDirectory as the sync lifecycle takes it (internal/engine.Locker): the
// release function instead of the Lock.
func (s *Store) TryLock(ctx context.Context, dirID, purpose string) (func(), error) {
	l, err := s.LockDirectory(ctx, dirID, purpose)
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}
