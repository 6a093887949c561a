package linalg

// scoreTile is the number of item rows scored against a group of user rows
// before moving on, so the item rows stay in cache.
const scoreTile = 256

// ScoreBlock sets dst[a·ni+i] = U[a,:]·V[i,:] for the row-major nu×k matrix u
// and ni×k matrix v (dst = U·Vᵀ, row-major nu×ni). It runs on the calling
// goroutine.
func ScoreBlock(dst, u []float32, nu int, v []float32, ni, k int) {
	dst = dst[:nu*ni]
	u = u[:nu*k]
	v = v[:ni*k]
	for i0 := 0; i0 < ni; i0 += scoreTile {
		i1 := min(i0+scoreTile, ni)
		a := 0
		for ; a+4 <= nu; a += 4 {
			u0 := u[a*k : (a+1)*k]
			u1 := u[(a+1)*k : (a+2)*k]
			u2 := u[(a+2)*k : (a+3)*k]
			u3 := u[(a+3)*k : (a+4)*k]
			d0 := dst[a*ni : (a+1)*ni]
			d1 := dst[(a+1)*ni : (a+2)*ni]
			d2 := dst[(a+2)*ni : (a+3)*ni]
			d3 := dst[(a+3)*ni : (a+4)*ni]
			dot4Items(v[i0*k:i1*k], i1-i0, k, u0, u1, u2, u3, d0[i0:i1], d1[i0:i1], d2[i0:i1], d3[i0:i1])
		}
		for ; a < nu; a++ { // the last users one by one, four items per pass
			ua := u[a*k : (a+1)*k]
			da := dst[a*ni : (a+1)*ni]
			i := i0
			for ; i+4 <= i1; i += 4 {
				da[i], da[i+1], da[i+2], da[i+3] = Dot4(ua, v[i*k:(i+1)*k], v[(i+1)*k:(i+2)*k], v[(i+2)*k:(i+3)*k], v[(i+3)*k:(i+4)*k])
			}
			for ; i < i1; i++ {
				da[i] = dot1(v[i*k:(i+1)*k], ua)
			}
		}
	}
}

// dot4Go returns the dot products of x with four vectors at once, loading x
// once.
func dot4Go(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) {
	n := len(x)
	y0 = y0[:n]
	y1 = y1[:n]
	y2 = y2[:n]
	y3 = y3[:n]
	var t0, t1, t2, t3 float32
	i := 0
	for ; i+2 <= n; i += 2 {
		xa, xb := x[i], x[i+1]
		s0 += xa * y0[i]
		s1 += xa * y1[i]
		s2 += xa * y2[i]
		s3 += xa * y3[i]
		t0 += xb * y0[i+1]
		t1 += xb * y1[i+1]
		t2 += xb * y2[i+1]
		t3 += xb * y3[i+1]
	}
	if i < n {
		xa := x[i]
		s0 += xa * y0[i]
		s1 += xa * y1[i]
		s2 += xa * y2[i]
		s3 += xa * y3[i]
	}
	return s0 + t0, s1 + t1, s2 + t2, s3 + t3
}

// dot1Go is dot4Go for one vector, with the same summation order, so a user's
// scores do not depend on how users are grouped.
func dot1Go(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s, t float32
	i := 0
	for ; i+2 <= n; i += 2 {
		s += x[i] * y[i]
		t += x[i+1] * y[i+1]
	}
	if i < n {
		s += x[i] * y[i]
	}
	return s + t
}
