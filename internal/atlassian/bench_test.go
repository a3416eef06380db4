package atlassian_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// BenchmarkListUsers pages a 10,000-user directory (100 pages of 100) over loopback TLS.
func BenchmarkListUsers(b *testing.B) {
	users := make([]emu.User, 10_000)
	for i := range users {
		users[i] = emu.User{UserName: fmt.Sprintf("user%05d@contoso.com", i), DisplayName: "User", ExternalID: fmt.Sprint(i), Active: true}
	}
	s := emutest.Atlassian(b, emu.Options{Users: users})
	c, _ := atlassian.NewSCIM(fastCfg(s))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := c.ListUsers(context.Background(), func(atlassian.User) error { n++; return nil }); err != nil || n != 10_000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "users/s")
}

// BenchmarkCreateUsersParallel creates users from 8 goroutines through one client (one limiter).
func BenchmarkCreateUsersParallel(b *testing.B) {
	s := emutest.Atlassian(b, emu.Options{})
	c, _ := atlassian.NewSCIM(fastCfg(s))
	var seq atomic.Int64
	b.SetParallelism(4) // GOMAXPROCS × 4 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := fmt.Sprintf("p%d@contoso.com", seq.Add(1))
			if _, err := c.CreateUser(context.Background(), atlassian.User{UserName: n, Email: n, Active: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchmarkThrottledAdapt measures how the limiter settles against a 200 req/s limit:
// throughput, 429s per 100 operations, and the rate it settled at.
func BenchmarkThrottledAdapt(b *testing.B) {
	s := emutest.Atlassian(b, emu.Options{RateLimit: 200, Burst: 20})
	cfg := fastCfg(s)
	cfg.LimiterConfig = atlassian.LimiterConfig{Initial: 1000, Max: 1000, Increase: 20}
	c, _ := atlassian.NewSCIM(cfg)
	b.ResetTimer()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, _, err := c.FindUserByUserName(context.Background(), "x@contoso.com"); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ls := c.Limiter().Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(s.StatusCount(429))*100/float64(b.N), "429s/100ops")
	b.ReportMetric(ls.Rate, "final-rate")
}
