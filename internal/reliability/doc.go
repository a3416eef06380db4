// Package reliability holds end-to-end fault, crash, hostile-input and leak tests of the whole
// sync, run by make test; the long soak runs under make soak (IDPSYNC_SOAK=1). The engine's
// tests through the real Graph reader, SCIM client and SQLite store against the emulators are here
// too (sync_test.go, through the package's one harness in harness_test.go), so that
// internal/engine and its tests link neither. Its only non-test code is FaultProxy, a loopback
// HTTPS proxy that puts the same faults in front of any emulator, so that both remote sides can
// be hit with every fault kind whatever their own knobs offer.
//
// Every test has its own emulators, store and home, and they run two at a time (t.Parallel):
// they wait on retry backoff, Retry-After and SQLite syncs as much as they compute. The crash
// series among them too: it kills its child at the write the Atlassian proxy counts
// (crashWatch), not by watching the organization on a tick, so a busy machine moves nothing.
package reliability
