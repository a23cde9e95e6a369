package portal

// Stub: replaced by owner.go.
func (p *Portal) ownerRoutes() {}
