package backend

import (
	"context"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/store"
	"github.com/idpsync/idpsync/internal/version"
)

// engine builds the directory's engine with its clients for one run; its progress, the Graph
// reader's included, goes to the Emitter.
func (b *Backend) engine(ctx context.Context, d store.Directory, s engine.Settings) (*engine.Engine, error) {
	r, err := b.reader(ctx, d)
	if err != nil {
		return nil, err
	}
	t, err := b.scim(ctx, d, s.MemberChunkSize)
	if err != nil {
		return nil, err
	}
	e := &engine.Engine{DirectoryID: d.ID, Target: adapter.SCIM{SCIM: t}, State: adapter.Store{Store: b.st}, SnapshotDir: b.snapshotDir(), Now: b.opts.Now}
	e.Emit = func(p engine.Progress) {
		b.opts.Emitter.Emit(EventProgress, Progress{DirectoryID: d.ID, RunID: p.RunID, Phase: p.Phase, Done: p.Done, Total: p.Total, Rate: p.Rate, ETASeconds: p.ETASeconds})
	}
	e.Source = adapter.Graph{Reader: r, Progress: func(p entra.Progress) {
		e.EmitProgress(engine.Progress{Phase: engine.PhaseReadTenant, Done: p.Users + p.Groups, ETASeconds: -1})
	}}
	o, err := b.org(ctx, d)
	if err != nil {
		return nil, err
	}
	if o != nil {
		e.Org = adapter.Org{Org: o} // never a typed nil: the engine tells "no organization key" by e.Org == nil
		e.Access = o.Access(t.DirectoryID())
	}
	return e, nil
}

// previewSpec is how a preview of d is made and recorded, alone or as the first step of a run.
func (b *Backend) previewSpec(d store.Directory, s engine.Settings, full, automatic bool) engine.PreviewSpec {
	return engine.PreviewSpec{DirectoryName: d.Name, Settings: s, Full: full, Automatic: automatic,
		Pin: engine.TenantPin{TenantID: d.TenantID, TenantName: d.TenantName}, AppVersion: version.Version,
		Reports: engine.ReportFiles{Dir: b.reportDir()},
		Prepared: func(ctx context.Context, p *engine.Plan) {
			p.Notices = append(p.Notices, b.sameTenant(ctx, d.ID, p.Tenant.ID)...)
			go b.cacheGroups(d.ID, p.Snapshot)
			b.mu.Lock()
			b.dropPlans(d.ID) // one plan per directory: an older preview can no longer be applied
			b.mu.Unlock()
		}}
}

// tracker shows a run of this app in its directory's status: "previewing" while it prepares,
// "syncing" (and cancellable by Cancel) once it applies.
type tracker struct {
	b                   *Backend
	dirID               string
	cancel              context.CancelFunc
	previewing, syncing bool
}

func (t *tracker) stage(s engine.Stage) {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	switch s {
	case engine.StagePrepare:
		if !t.previewing {
			t.b.previews[t.dirID]++
			t.previewing = true
		}
	case engine.StageApply:
		t.endPreviewLocked()
		// A second sync of the directory in this app is refused by the lock: it must not take
		// the first one's Cancel.
		if _, busy := t.b.runs[t.dirID]; !busy && !t.syncing {
			t.b.runs[t.dirID] = t.cancel
			t.syncing = true
		}
	}
}

func (t *tracker) endPreviewLocked() {
	if t.previewing {
		if t.b.previews[t.dirID]--; t.b.previews[t.dirID] <= 0 {
			delete(t.b.previews, t.dirID)
		}
		t.previewing = false
	}
}

func (t *tracker) done() {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	t.endPreviewLocked()
	if t.syncing {
		delete(t.b.runs, t.dirID)
		t.syncing = false
	}
}
