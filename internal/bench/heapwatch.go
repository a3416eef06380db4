package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// heapProfileEnv names a folder: when set, each sync child writes a heap profile there whenever
// its in-use heap grows 5 % past the largest it has seen, so the last one written is the peak's
// (`go tool pprof -sample_index=inuse_space`). Sampling every 100 ms costs one ReadMemStats
// (a short stop of the world), so it is off unless asked for.
const heapProfileEnv = "IDPSYNC_BENCH_HEAPPROFILE"

// cpuProfileEnv names a folder for each sync child's CPU profile (the whole run).
const cpuProfileEnv = "IDPSYNC_BENCH_CPUPROFILE"

func profileCPU(label string) (stop func()) {
	dir := os.Getenv(cpuProfileEnv)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(profileName(dir, label, ".cpu"))
	if err != nil {
		return func() {}
	}
	if pprof.StartCPUProfile(f) != nil {
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

func profileName(dir, label, ext string) string {
	return filepath.Join(dir, strings.NewReplacer(" ", "_", "%", "pct").Replace(label)+ext)
}

func watchHeap(label string) (stop func()) {
	dir := os.Getenv(heapProfileEnv)
	if dir == "" {
		return func() {}
	}
	name := profileName(dir, label, ".heap")
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		var peak uint64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak+peak/20 {
				peak = ms.HeapInuse
				if f, err := os.Create(name); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					_ = f.Close()
				}
			}
		}
	}()
	return func() { close(done) }
}
