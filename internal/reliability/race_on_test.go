//go:build race

package reliability

// raceBuild is true under -race (make test), where the largest inputs are cut to keep the suite
// within its time budget; plain go test and make soak keep the full sizes.
const raceBuild = true
