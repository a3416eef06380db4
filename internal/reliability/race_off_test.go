//go:build !race

package reliability

const raceBuild = false
