package adapter

import (
	"context"
	"time"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/store"
)

// LearnedPacing is cfg for one run of directory dirID: the limiter starts from the SCIM rate the
// directory's earlier runs learned (Atlassian publishes none, and a slow start from 50/s costs
// an initial sync at 1,000/s several seconds and a burst of 429s each run), and each limit this
// run learns is stored for the next. Both are best effort: a store that fails costs the next
// run a slow start, never the sync.
func LearnedPacing(ctx context.Context, st *store.Store, dirID string, cfg atlassian.LimiterConfig) atlassian.LimiterConfig {
	if r, err := st.LearnedSCIMRate(ctx, dirID); err == nil && r > 0 {
		cfg.Learned = r
	}
	next := cfg.OnLimit
	cfg.OnLimit = func(limit float64) {
		// A cut happens at most a few times a second; the write is one row.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = st.SetLearnedSCIMRate(wctx, dirID, limit)
		cancel()
		if next != nil {
			next(limit)
		}
	}
	return cfg
}
