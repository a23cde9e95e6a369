DETACH memory
