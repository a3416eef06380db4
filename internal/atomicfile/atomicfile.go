// Package atomicfile writes files so that a crash or a power loss leaves either the old file or
// the new one, never part of one, and a failed write leaves nothing behind. The data goes to a
// temporary file in the target's folder (a rename is atomic only within one file system), which
// is fsynced, renamed over the target, and then the folder is fsynced so that the rename itself
// survives a power loss. Every error path removes the temporary file.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// File is a file being written; it appears under its final name only on Commit.
type File struct {
	f    *os.File
	path string
	done bool
}

// Create starts writing path. perm applies to the final file (CreateTemp's 0600 otherwise).
func Create(path string, perm os.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	// Chmod states the mode even where a umask or the file system would apply another one.
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{f: f, path: path}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit flushes the data to disk, renames the file into place and makes the rename durable. On
// error the temporary file is gone and the target is as it was.
func (f *File) Commit() error {
	if f.done {
		return os.ErrClosed
	}
	f.done = true
	tmp := f.f.Name()
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(f.path))
}

// Abort discards the temporary file; after Commit it does nothing, so `defer f.Abort()` is safe.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// Write writes path with what fill writes, atomically (see the package comment).
func Write(path string, perm os.FileMode, fill func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return err
	}
	return f.Commit()
}

// WriteFile writes data to path atomically (see the package comment).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir makes a rename in dir durable. Windows cannot open a folder for flushing
// (FlushFileBuffers on a directory handle is refused); NTFS journals the rename itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
