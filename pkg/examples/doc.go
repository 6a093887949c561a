// Package examples tests the runnable examples under examples/ at the root
// of the repository: it builds the recotem binaries, then validates, trains
// and inspects every example from a copy of its directory exactly as a user
// would, serves them all from one recipes directory and checks the HTTP
// answers of every verb (shapes, model versions, item metadata), and stops
// the server with SIGTERM.
//
// The test builds the binaries into a temporary directory; set
// RECOTEM_TEST_EXAMPLES_BIN to a directory of already built ones (such as bin/
// after `make build`) to skip that. -short skips the whole test.
//
// The example data sets are generated deterministically by the tests of this
// package and committed; a test fails when a committed file no longer matches
// its generator. After changing a generator, rewrite the files with
//
//	go test ./examples/ -run TestExampleData -update
//
// (from the pkg directory). The package has no non-test code.
package examples
