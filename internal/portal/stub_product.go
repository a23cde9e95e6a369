package portal

// Stub: replaced by product.go.
func (p *Portal) productRoutes() {}
