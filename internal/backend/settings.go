package backend

import (
	"context"
	"encoding/json"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
)

func defaultSettings() engine.Settings { return engine.DefaultSettings() }

func (b *Backend) settings(ctx context.Context, dirID string) (engine.Settings, error) {
	js, err := b.st.Settings(ctx, dirID)
	if err != nil {
		return engine.Settings{}, err
	}
	s := engine.DefaultSettings()
	if js != nil {
		if err := json.Unmarshal(js, &s); err != nil {
			return s, apperr.Wrap(err, apperr.StoreCorrupt, "the saved settings cannot be read")
		}
	}
	return s, nil
}

func (b *Backend) Settings(ctx context.Context, id string) (Settings, error) {
	if _, err := b.st.GetDirectory(ctx, id); err != nil {
		return Settings{}, err
	}
	return b.settings(ctx, id)
}

func (b *Backend) SaveSettings(ctx context.Context, id string, s Settings) (Settings, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return Settings{}, err
	}
	n, err := s.Normalize()
	if err != nil {
		return Settings{}, err
	}
	if n.LeaveScope == engine.LeaveScopeSuspend {
		// Suspending goes through the Organizations API: without its key the choice cannot work.
		o, err := b.org(ctx, d)
		if err != nil {
			return Settings{}, err
		}
		if o == nil {
			return Settings{}, apperr.New(apperr.SuspendUnavailable, "suspending the access of users who leave scope needs the organization id and API key, and this directory has none").
				WithAction("Add the organization id and key on the Connection tab, or keep Deactivate.")
		}
	}
	if err := b.st.SaveSettings(ctx, id, n); err != nil {
		return Settings{}, err
	}
	return n, nil
}

// runSettings are the directory's settings as a run uses them.
func (b *Backend) runSettings(ctx context.Context, dirID string) (engine.Settings, error) {
	s, err := b.settings(ctx, dirID)
	if err != nil {
		return s, err
	}
	return s.Normalize()
}
