package portal

// Stub: replaced by workspace.go.
func (p *Portal) workspaceRoutes() {}

type histories struct{}

func newHistories() *histories { return &histories{} }
