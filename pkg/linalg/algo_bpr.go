package linalg

import "math"

// BPRStep applies one Adagrad step of a pairwise ranking loss (BPR, WARP)
// with loss gradient g to the user row p, the positive item row qi and the
// negative item row qj, whose Adagrad accumulators are gp, gqi and gqj (all
// of the same length; qi and qj must not overlap). Per component c, with
// step sizes s = lr/√acc taken before the update (computed with a single
// division, lr/(√acc_i·√acc_j·√acc_p), times the two other roots, which is
// within a few float32 roundings of three divisions and 4-10% faster: the
// square roots and divisions share the divider, the bottleneck of this
// step):
//
//	qi[c] = (qi[c] + s_i·g·p[c])·(1 − itemAlpha·s_i)
//	qj[c] = (qj[c] − s_j·g·p[c])·(1 − itemAlpha·s_j)
//	p[c]  = (p[c] − s_p·g·(qj[c]−qi[c]))·(1 − userAlpha·s_p)
//
// and each accumulator grows by its squared gradient. The amd64 assembly
// and the pure-Go loop evaluate the same float32 operations in the same
// order (no fused multiply-add), so both give identical results.
func BPRStep(p, qi, qj, gp, gqi, gqj []float32, g, lr, itemAlpha, userAlpha float32) {
	n := len(p)
	qi, qj, gp, gqi, gqj = qi[:n], qj[:n], gp[:n], gqi[:n], gqj[:n]
	c := bprStepVec(p, qi, qj, gp, gqi, gqj, g, lr, itemAlpha, userAlpha)
	bprStepGo(p[c:], qi[c:], qj[c:], gp[c:], gqi[c:], gqj[c:], g, lr, itemAlpha, userAlpha)
}

// bprStepGo is BPRStep in pure Go.
func bprStepGo(p, qi, qj, gp, gqi, gqj []float32, g, lr, ia, ua float32) {
	n := len(p)
	qi, qj, gp, gqi, gqj = qi[:n], qj[:n], gp[:n], gqi[:n], gqj[:n]
	for c, pc := range p {
		vi, vj := qi[c], qj[c]
		di, dj, dp := -g*pc, g*pc, g*(vj-vi)
		// One division for the three step sizes: t = lr/(ri·rj·rp).
		ri, rj, rp := sqrt32(gqi[c]), sqrt32(gqj[c]), sqrt32(gp[c])
		t := lr / float32(float32(ri*rj)*rp)
		ti := float32(t * ri)
		si := float32(float32(t*rj) * rp)
		sj := float32(ti * rp)
		sp := float32(ti * rj)
		// The conversions forbid fused multiply-adds (Go spec, "Floating-point
		// operators"), keeping this loop bitwise equal to the assembly.
		qi[c] = (vi - float32(si*di)) * (1 - float32(ia*si))
		qj[c] = (vj - float32(sj*dj)) * (1 - float32(ia*sj))
		p[c] = (pc - float32(sp*dp)) * (1 - float32(ua*sp))
		gqi[c] += float32(di * di)
		gqj[c] += float32(dj * dj)
		gp[c] += float32(dp * dp)
	}
}

// sqrt32 is the correctly rounded float32 square root (the compiler emits
// one SQRTSS for it).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
