package reliability

import (
	"bytes"
	"testing"
	"time"

	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// The streamed report is byte for byte the document BuildReport fills, for a preview and for an
// applied run (memberships with chains and shared group references included).
func TestWriteReportStreamsWhatBuildReportHolds(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 5, Users: 120, Groups: 12, Depth: 3}, atlemu.Options{}, graph.Faults{})
	p := h.preview(ctx, true)
	members := 0
	for i := range p.Operations() {
		if p.Op(i).Action == report.AddMember && len(p.Op(i).Chain) > 1 {
			members++
		}
	}
	if members == 0 {
		t.Fatal("the tenant has no nested membership: the test checks nothing")
	}
	info := engine.RunInfo{RunID: "r1", DirectoryID: dirID, Kind: report.KindPreview, Started: time.Unix(1_800_000_000, 0).UTC()}
	r := h.run(ctx, true, true, nil)
	for _, c := range []struct {
		p   *engine.Plan
		out *engine.Outcome
	}{{p, nil}, {r.plan, r.out}} {
		var whole, streamed bytes.Buffer
		rep := engine.BuildReport(info, c.p, c.out)
		if err := report.Write(&whole, rep, report.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		head, err := engine.WriteReport(&streamed, info, c.p, c.out, report.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Ended is the time of building when there is no outcome: align the two documents.
		if c.out == nil {
			rep.Ended = head.Ended
			whole.Reset()
			if err := report.Write(&whole, rep, report.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(whole.Bytes(), streamed.Bytes()) {
			t.Fatalf("the streamed report differs (%d vs %d bytes)", streamed.Len(), whole.Len())
		}
		if len(head.Operations) != 0 || head.Status != rep.Status || len(head.Counts) != len(rep.Counts) {
			t.Fatalf("the returned document: %d operations, status %s, %d counts", len(head.Operations), head.Status, len(head.Counts))
		}
	}
}
