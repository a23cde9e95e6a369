package search

// SetSmallTotal changes the most hits Search ranks in one MATCH, for tests
// of both ways to rank; it returns the undo.
func SetSmallTotal(n int) func() {
	old := smallTotal
	smallTotal = n
	return func() { smallTotal = old }
}
