package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/directory"
)

// graphShape is what a full read's cost depends on: the tenant as the Graph emulator serves it.
type graphShape struct {
	Users       int `json:"users"`
	Groups      int `json:"groups"`
	Direct      int `json:"directMemberships"` // members of all groups, nested groups included
	MemberPages int `json:"memberPages"`       // Σ over groups of max(1, ceil(members/999))
	MaxPages    int `json:"maxMemberPages"`    // the largest group's pages
}

func shapeOf(s *directory.Snapshot) graphShape {
	sh := graphShape{Users: len(s.Users), Groups: len(s.Groups)}
	for _, g := range s.Groups {
		n := len(s.Members[g.ID])
		sh.Direct += n
		p := max(1, ceilDiv(n, 999))
		sh.MemberPages += p
		sh.MaxPages = max(sh.MaxPages, p)
	}
	return sh
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// strategyBound is one full-read strategy's lower bound from Graph's documented costs.
type strategyBound struct {
	Name    string  `json:"name"`
	Units   int     `json:"units"`
	Chain   int     `json:"chain"` // longest run of requests that each need the previous one's answer
	Seconds float64 `json:"seconds"`
}

// fullReadBounds computes every documented full-read strategy's bound for a tenant of shape sh:
// max((units − one full bucket) / refill rate, chain × latency). Costs (throttling-limits.md,
// identity and access): GET /users 2, GET /groups/{id}/members 3, others 1, $select −1 (never
// below 1); the bucket holds o.GraphRU units and refills over o.GraphWindow. Delta pages carry
// o.GraphDeltaPage entries (objects plus members@delta), the emulator's choice as Graph's.
// transitiveMembers per group (4 units a page, and more pages) is dominated by the member
// listings and left out.
func fullReadBounds(sh graphShape, o options) []strategyBound {
	rate := float64(o.GraphRU) / o.GraphWindow.Seconds()
	lat := o.GraphLatency.Seconds()
	userPages := ceilDiv(sh.Users, 999) // the reader's $top, Graph's maximum
	// organization, domains (one page each, one after the other); users listing at 1 unit a page
	// ($select) after its $deltatoken=latest request.
	const tenant = 2
	usersUnits, usersChain := userPages+1, userPages+1
	bound := func(name string, units, chain int) strategyBound {
		s := max(0, float64(units-o.GraphRU)) / rate
		s = max(s, float64(chain)*lat)
		return strategyBound{Name: name, Units: units, Chain: chain, Seconds: s}
	}
	deltaPages := ceilDiv(sh.Groups+sh.Direct, max(1, o.GraphDeltaPage))
	groupPages := ceilDiv(sh.Groups, 999)
	listUnits := tenant + usersUnits + 1 + groupPages + 2*sh.MemberPages
	listChain := tenant + max(usersChain, 1+groupPages+sh.MaxPages)
	return []strategyBound{
		bound("groups delta with members", tenant+usersUnits+deltaPages, tenant+max(usersChain, deltaPages)),
		bound("groups + members per group", listUnits, listChain),
		// Each request in a batch is charged on its own (json-batching.md); the POST saves round
		// trips, not units, so only the chain could differ, and it is the same.
		bound("groups + members in $batch of 20", listUnits, listChain),
	}
}

// bestBound is the cheapest strategy's bound and a line that names every one.
func bestBound(sh graphShape, o options) (strategyBound, string) {
	all := fullReadBounds(sh, o)
	best := all[0]
	var parts []string
	for _, b := range all {
		if b.Seconds < best.Seconds {
			best = b
		}
		parts = append(parts, fmt.Sprintf("%s %d RU, chain %d: %.1fs", b.Name, b.Units, b.Chain, b.Seconds))
	}
	return best, fmt.Sprintf("best of [%s] at %d RU per %v, %v a request", strings.Join(parts, "; "), o.GraphRU, o.GraphWindow, o.GraphLatency.Round(time.Millisecond))
}
