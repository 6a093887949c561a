// Package artifact reads and writes signed recotem artifacts (".recotem"),
// byte-compatible with the reference Python tool:
//
//	offset  size  field
//	0       8     magic "RECOTEM\x00"
//	8       2     format version, u16 LE, = 1
//	10      2     reserved, u16 LE, = 0
//	12      1     K = kid length, 1..32
//	13      K     kid, UTF-8
//	13+K    32    HMAC-SHA256(key[kid], kid ‖ header JSON ‖ payload)
//	45+K    4     N = header JSON length, u32 LE, ≤ 65536
//	49+K    N     header JSON, UTF-8, a JSON object
//	49+K+N  rest  payload, to the end of the file
//
// Parse performs the structural checks in the reference's order; Open and
// OpenBytes add HMAC verification (in constant time, before any header or
// payload byte is interpreted), header decoding and the model version
// ("sha256:" + hex of the artifact bytes, computed alongside the HMAC,
// concurrently for large artifacts). The payload of an artifact written by
// recotem in Go is "recotem-go/1" (package payload), named in the header's
// "payload_encoding"; an artifact without it (a reference artifact holding
// a Python pickle) opens, so that `recotem inspect` can show its header, but
// Payload fails with an artifact error asking the operator to retrain. The
// pickle bytes are never interpreted.
//
// # Trust model
//
// The bytes of an artifact are verified once, when it is opened. By default
// a local artifact is memory-mapped (read-only, private) so that payload
// sections are served without copying. Writers never modify an artifact in
// place: they write a temporary file and rename it over the destination, so
// an open mapping keeps the verified bytes of the old file. A process that
// modifies or truncates the mapped file in place after verification is
// outside this model (its changes may become visible through the mapping, or
// a truncation may fault). Setting RECOTEM_ARTIFACT_MMAP=false (see
// MmapFromEnv) reads the artifact into memory instead, which closes that
// gap at the cost of a copy.
//
// The container's length fields are not covered by the MAC (a property of
// the reference format, kept for compatibility): editing kid_len and
// header_len can move bytes across the kid/header boundary (or header_len
// alone across the header/payload boundary) while the MAC input, the
// concatenation kid ‖ header ‖ payload, stays the same, so the MAC still
// verifies. Such an artifact is caught only because the kid lookup, the
// header decode or the payload decode then fails. Boundary integrity does
// not rest on the MAC.
package artifact
