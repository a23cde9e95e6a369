// Package governance joins access (who may do what) and policy (the mesh's
// global rules) into the gates the platform's write and read paths call:
// the query engine's Governor, the apply gate and the publish policy gate.
// The caller is always the principal the request's context carries; a
// context without one is refused.
package governance
