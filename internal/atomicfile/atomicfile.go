// Package atomicfile writes files so that a crash leaves either the old or the new content,
// never half of one. It is a leaf (standard library only) so that the engine, the store and the
// reports can share one writer without the engine linking the store's SQLite.
package atomicfile

import "os"

// Write writes data to path through a temporary file, an fsync and a rename.
func Write(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
