package portal

// Stub: replaced by access.go.
func (p *Portal) accessRoutes() {}
