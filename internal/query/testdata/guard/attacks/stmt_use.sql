USE __mesh
