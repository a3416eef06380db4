package app

// This is the only file that calls the Wails runtime. Everything else receives the UI
// interface, because the runtime calls log.Fatal when given a context Wails did not create.

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/idpsync/idpsync/internal/apperr"
)

type wailsUI struct{ ctx context.Context }

func newWailsUI(ctx context.Context) UI { return wailsUI{ctx: ctx} }

func (w wailsUI) Emit(event string, data any) { runtime.EventsEmit(w.ctx, event, data) }

func filters(fs []FileFilter) []runtime.FileFilter {
	out := make([]runtime.FileFilter, 0, len(fs))
	for _, f := range fs {
		out = append(out, runtime.FileFilter{DisplayName: f.Name, Pattern: f.Pattern})
	}
	return out
}

// picked is a file dialog's answer: the path chosen ("" when the admin cancelled), or the
// dialog's failure with a code.
func picked(p string, err error) (string, error) {
	if err != nil {
		return "", apperr.Wrap(err, apperr.Internal, "the file dialog failed")
	}
	return p, nil
}

func (w wailsUI) OpenFile(d FileDialog) (string, error) {
	return picked(runtime.OpenFileDialog(w.ctx, runtime.OpenDialogOptions{
		Title: d.Title, DefaultFilename: d.DefaultName, Filters: filters(d.Filters),
	}))
}

func (w wailsUI) SaveFile(d FileDialog) (string, error) {
	return picked(runtime.SaveFileDialog(w.ctx, runtime.SaveDialogOptions{
		Title: d.Title, DefaultFilename: d.DefaultName, Filters: filters(d.Filters),
	}))
}

func (w wailsUI) ChooseFolder(d FileDialog) (string, error) {
	p, err := runtime.OpenDirectoryDialog(w.ctx, runtime.OpenDialogOptions{Title: d.Title, CanCreateDirectories: true})
	if err != nil {
		return "", apperr.Wrap(err, apperr.Internal, "the folder dialog failed")
	}
	return p, nil
}

func (w wailsUI) OpenURL(url string) error {
	runtime.BrowserOpenURL(w.ctx, url)
	return nil
}
