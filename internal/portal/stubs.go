package portal

// Stubs the lanes replace: product.go, requests.go, owner.go, workspace.go.

func (p *Portal) productRoutes()   {}
func (p *Portal) accessRoutes()    {}
func (p *Portal) ownerRoutes()     {}
func (p *Portal) workspaceRoutes() {}

type histories struct{}

func newHistories() *histories { return &histories{} }
