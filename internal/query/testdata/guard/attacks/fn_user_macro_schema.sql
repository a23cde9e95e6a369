SELECT x.y.z(1)
