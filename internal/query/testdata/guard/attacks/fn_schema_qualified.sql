SELECT __mesh.f(1)
