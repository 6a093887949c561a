//go:build amd64 && !purego

#include "textflag.h"

// AVX2 + FMA kernels behind dispatch_amd64.go. The Go wrappers check lengths
// (every y is at least as long as x, or as row); these loops trust them.
// Each kernel ends with VZEROUPPER before returning to Go's SSE code.

// HSUM reduces the 8 lanes of acc (its low half is xacc) into xacc's lane
// 0 as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); xtmp is clobbered.
#define HSUM(acc, xacc, xtmp) \
	VEXTRACTF128 $1, acc, xtmp; \
	VADDPS       xtmp, xacc, xacc; \
	VMOVHLPS     xacc, xacc, xtmp; \
	VADDPS       xtmp, xacc, xacc; \
	VMOVSHDUP    xacc, xtmp; \
	VADDSS       xtmp, xacc, xacc

// DOT4 sets X0..X3 to the dot products of the k = CX floats at SI with
// those at R8, R9, R10 and R11 (AX is the index, tmp a scratch register;
// Y0-Y9 are clobbered). One summation order per output, shared with
// dot1AVX2: lanes of the 16-element blocks' first and second halves in two
// accumulators, a last 8-element block into the first, the two added,
// HSUM, then the scalar tail in order. The labels are those of the caller.
#define DOT4(tmp, l16, l8, lreduce, ltail, ldone) \
	VXORPS      Y0, Y0, Y0               \
	VXORPS      Y1, Y1, Y1               \
	VXORPS      Y2, Y2, Y2               \
	VXORPS      Y3, Y3, Y3               \
	VXORPS      Y4, Y4, Y4               \
	VXORPS      Y5, Y5, Y5               \
	VXORPS      Y6, Y6, Y6               \
	VXORPS      Y7, Y7, Y7               \
	XORQ        AX, AX                   \
l16:                                     \
	LEAQ        16(AX), tmp              \
	CMPQ        tmp, CX                  \
	JGT         l8                       \
	VMOVUPS     (SI)(AX*4), Y8           \
	VMOVUPS     32(SI)(AX*4), Y9         \
	VFMADD231PS (R8)(AX*4), Y8, Y0       \
	VFMADD231PS (R9)(AX*4), Y8, Y1       \
	VFMADD231PS (R10)(AX*4), Y8, Y2      \
	VFMADD231PS (R11)(AX*4), Y8, Y3      \
	VFMADD231PS 32(R8)(AX*4), Y9, Y4     \
	VFMADD231PS 32(R9)(AX*4), Y9, Y5     \
	VFMADD231PS 32(R10)(AX*4), Y9, Y6    \
	VFMADD231PS 32(R11)(AX*4), Y9, Y7    \
	MOVQ        tmp, AX                  \
	JMP         l16                      \
l8:                                      \
	LEAQ        8(AX), tmp               \
	CMPQ        tmp, CX                  \
	JGT         lreduce                  \
	VMOVUPS     (SI)(AX*4), Y8           \
	VFMADD231PS (R8)(AX*4), Y8, Y0       \
	VFMADD231PS (R9)(AX*4), Y8, Y1       \
	VFMADD231PS (R10)(AX*4), Y8, Y2      \
	VFMADD231PS (R11)(AX*4), Y8, Y3      \
	MOVQ        tmp, AX                  \
lreduce:                                 \
	VADDPS      Y4, Y0, Y0               \
	VADDPS      Y5, Y1, Y1               \
	VADDPS      Y6, Y2, Y2               \
	VADDPS      Y7, Y3, Y3               \
	HSUM(Y0, X0, X8)                     \
	HSUM(Y1, X1, X8)                     \
	HSUM(Y2, X2, X8)                     \
	HSUM(Y3, X3, X8)                     \
ltail:                                   \
	CMPQ        AX, CX                   \
	JGE         ldone                    \
	VMOVSS      (SI)(AX*4), X8           \
	VFMADD231SS (R8)(AX*4), X8, X0       \
	VFMADD231SS (R9)(AX*4), X8, X1       \
	VFMADD231SS (R10)(AX*4), X8, X2      \
	VFMADD231SS (R11)(AX*4), X8, X3      \
	INCQ        AX                       \
	JMP         ltail                    \
ldone:

// AXPY4 adds Y12·(R8) + Y13·(R9) + Y14·(R10) + Y15·(R11) to the k = CX
// floats at DI, in that order per element (AX is the index, tmp a scratch
// register; Y0, Y1 are clobbered). The labels are those of the caller.
#define AXPY4(tmp, l16, l8, ltail, ldone) \
	XORQ        AX, AX                   \
l16:                                     \
	LEAQ        16(AX), tmp              \
	CMPQ        tmp, CX                  \
	JGT         l8                       \
	VMOVUPS     (DI)(AX*4), Y0           \
	VMOVUPS     32(DI)(AX*4), Y1         \
	VFMADD231PS (R8)(AX*4), Y12, Y0      \
	VFMADD231PS 32(R8)(AX*4), Y12, Y1    \
	VFMADD231PS (R9)(AX*4), Y13, Y0      \
	VFMADD231PS 32(R9)(AX*4), Y13, Y1    \
	VFMADD231PS (R10)(AX*4), Y14, Y0     \
	VFMADD231PS 32(R10)(AX*4), Y14, Y1   \
	VFMADD231PS (R11)(AX*4), Y15, Y0     \
	VFMADD231PS 32(R11)(AX*4), Y15, Y1   \
	VMOVUPS     Y0, (DI)(AX*4)           \
	VMOVUPS     Y1, 32(DI)(AX*4)         \
	MOVQ        tmp, AX                  \
	JMP         l16                      \
l8:                                      \
	LEAQ        8(AX), tmp               \
	CMPQ        tmp, CX                  \
	JGT         ltail                    \
	VMOVUPS     (DI)(AX*4), Y0           \
	VFMADD231PS (R8)(AX*4), Y12, Y0      \
	VFMADD231PS (R9)(AX*4), Y13, Y0      \
	VFMADD231PS (R10)(AX*4), Y14, Y0     \
	VFMADD231PS (R11)(AX*4), Y15, Y0     \
	VMOVUPS     Y0, (DI)(AX*4)           \
	MOVQ        tmp, AX                  \
ltail:                                   \
	CMPQ        AX, CX                   \
	JGE         ldone                    \
	VMOVSS      (DI)(AX*4), X0           \
	VFMADD231SS (R8)(AX*4), X12, X0      \
	VFMADD231SS (R9)(AX*4), X13, X0      \
	VFMADD231SS (R10)(AX*4), X14, X0     \
	VFMADD231SS (R11)(AX*4), X15, X0     \
	VMOVSS      X0, (DI)(AX*4)           \
	INCQ        AX                       \
	JMP         ltail                    \
ldone:

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   AX, AX

dot32:
	LEAQ        32(AX), DX
	CMPQ        DX, CX
	JGT         dot8
	VMOVUPS     (SI)(AX*4), Y4
	VMOVUPS     32(SI)(AX*4), Y5
	VMOVUPS     64(SI)(AX*4), Y6
	VMOVUPS     96(SI)(AX*4), Y7
	VFMADD231PS (DI)(AX*4), Y4, Y0
	VFMADD231PS 32(DI)(AX*4), Y5, Y1
	VFMADD231PS 64(DI)(AX*4), Y6, Y2
	VFMADD231PS 96(DI)(AX*4), Y7, Y3
	MOVQ        DX, AX
	JMP         dot32

dot8:
	LEAQ        8(AX), DX
	CMPQ        DX, CX
	JGT         dotreduce
	VMOVUPS     (SI)(AX*4), Y4
	VFMADD231PS (DI)(AX*4), Y4, Y0
	MOVQ        DX, AX
	JMP         dot8

dotreduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)

dottail:
	CMPQ        AX, CX
	JGE         dotdone
	VMOVSS      (SI)(AX*4), X1
	VFMADD231SS (DI)(AX*4), X1, X0
	INCQ        AX
	JMP         dottail

dotdone:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func axpyAVX2(a float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	XORQ         AX, AX

axpy32:
	LEAQ        32(AX), DX
	CMPQ        DX, CX
	JGT         axpy8
	VMOVUPS     (DI)(AX*4), Y0
	VMOVUPS     32(DI)(AX*4), Y1
	VMOVUPS     64(DI)(AX*4), Y2
	VMOVUPS     96(DI)(AX*4), Y3
	VFMADD231PS (SI)(AX*4), Y15, Y0
	VFMADD231PS 32(SI)(AX*4), Y15, Y1
	VFMADD231PS 64(SI)(AX*4), Y15, Y2
	VFMADD231PS 96(SI)(AX*4), Y15, Y3
	VMOVUPS     Y0, (DI)(AX*4)
	VMOVUPS     Y1, 32(DI)(AX*4)
	VMOVUPS     Y2, 64(DI)(AX*4)
	VMOVUPS     Y3, 96(DI)(AX*4)
	MOVQ        DX, AX
	JMP         axpy32

axpy8:
	LEAQ        8(AX), DX
	CMPQ        DX, CX
	JGT         axpytail
	VMOVUPS     (DI)(AX*4), Y0
	VFMADD231PS (SI)(AX*4), Y15, Y0
	VMOVUPS     Y0, (DI)(AX*4)
	MOVQ        DX, AX
	JMP         axpy8

axpytail:
	CMPQ        AX, CX
	JGE         axpydone
	VMOVSS      (DI)(AX*4), X0
	VFMADD231SS (SI)(AX*4), X15, X0
	VMOVSS      X0, (DI)(AX*4)
	INCQ        AX
	JMP         axpytail

axpydone:
	VZEROUPPER
	RET

// dot4AVX2 and dot1AVX2 share one summation order per output (see DOT4), so
// a user's scores do not depend on how ScoreBlock groups users.

// func dot4AVX2(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32)
TEXT ·dot4AVX2(SB), NOSPLIT, $0-136
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y0_base+24(FP), R8
	MOVQ y1_base+48(FP), R9
	MOVQ y2_base+72(FP), R10
	MOVQ y3_base+96(FP), R11
	DOT4(DX, d16, d8, dreduce, dtail, ddone)
	VZEROUPPER
	MOVSS X0, s0+120(FP)
	MOVSS X1, s1+124(FP)
	MOVSS X2, s2+128(FP)
	MOVSS X3, s3+132(FP)
	RET

// func dot1AVX2(x, y []float32) float32
TEXT ·dot1AVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	XORQ   AX, AX

dot1x16:
	LEAQ        16(AX), DX
	CMPQ        DX, CX
	JGT         dot1x8
	VMOVUPS     (SI)(AX*4), Y8
	VMOVUPS     32(SI)(AX*4), Y9
	VFMADD231PS (R8)(AX*4), Y8, Y0
	VFMADD231PS 32(R8)(AX*4), Y9, Y4
	MOVQ        DX, AX
	JMP         dot1x16

dot1x8:
	LEAQ        8(AX), DX
	CMPQ        DX, CX
	JGT         dot1reduce
	VMOVUPS     (SI)(AX*4), Y8
	VFMADD231PS (R8)(AX*4), Y8, Y0
	MOVQ        DX, AX

dot1reduce:
	VADDPS Y4, Y0, Y0
	HSUM(Y0, X0, X8)

dot1tail:
	CMPQ        AX, CX
	JGE         dot1done
	VMOVSS      (SI)(AX*4), X8
	VFMADD231SS (R8)(AX*4), X8, X0
	INCQ        AX
	JMP         dot1tail

dot1done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func axpy4AVX2(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32)
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-136
	MOVQ         row_base+0(FP), DI
	MOVQ         row_len+8(FP), CX
	VBROADCASTSS a0+24(FP), Y12
	VBROADCASTSS a1+28(FP), Y13
	VBROADCASTSS a2+32(FP), Y14
	VBROADCASTSS a3+36(FP), Y15
	MOVQ         y0_base+40(FP), R8
	MOVQ         y1_base+64(FP), R9
	MOVQ         y2_base+88(FP), R10
	MOVQ         y3_base+112(FP), R11
	AXPY4(DX, a16, a8, atail, adone)
	VZEROUPPER
	RET

// func dot4ItemsAVX2(v *float32, n, k int, y0, y1, y2, y3 *float32, d0, d1, d2, d3 *float32)
//
// For each of the n rows x of v (row-major, k floats each, k ≥ 1):
// d0[i], d1[i], d2[i], d3[i] = the dot products of x with y0..y3, computed
// exactly as dot4AVX2 does (the same accumulators, reduction and tail), so
// the scores do not depend on which kernel produced them. It saves
// ScoreBlock one call per item.
TEXT ·dot4ItemsAVX2(SB), NOSPLIT, $0-88
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), BX
	MOVQ k+16(FP), CX
	MOVQ y0+24(FP), R8
	MOVQ y1+32(FP), R9
	MOVQ y2+40(FP), R10
	MOVQ y3+48(FP), R11
	MOVQ d0+56(FP), R12
	MOVQ d1+64(FP), R13
	MOVQ d2+72(FP), R14
	MOVQ d3+80(FP), DI

items:
	TESTQ  BX, BX
	JZ     itemsdone
	DOT4(DX, i16, i8, ireduce, itail, istore)
	VMOVSS X0, (R12)
	VMOVSS X1, (R13)
	VMOVSS X2, (R14)
	VMOVSS X3, (DI)
	ADDQ   $4, R12
	ADDQ   $4, R13
	ADDQ   $4, R14
	ADDQ   $4, DI
	LEAQ   (SI)(CX*4), SI
	DECQ   BX
	JMP    items

itemsdone:
	VZEROUPPER
	RET

// ROWADDR loads into r the address of row idx[j] of y (k floats a row):
// y + idx[j]·k·4, with idx at BX, y at DX and k·4 in R13.
#define ROWADDR(j, r) \
	MOVLQSX j*4(BX), r \
	IMULQ   R13, r     \
	ADDQ    DX, r

// func dot4GatherAVX2(p *float32, k int, y *float32, idx *int32, e *float32, nq int)
//
// For each of the nq quads of rows y[idx[4q..4q+3]] (k floats each):
// e[4q+b] = p·y[idx[4q+b]], each computed as dot4AVX2 computes it, in one
// call for all quads.
TEXT ·dot4GatherAVX2(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), SI
	MOVQ k+8(FP), CX
	MOVQ y+16(FP), DX
	MOVQ idx+24(FP), BX
	MOVQ e+32(FP), DI
	MOVQ nq+40(FP), R12
	LEAQ (CX*4), R13

gquad:
	TESTQ  R12, R12
	JZ     gdone
	ROWADDR(0, R8)
	ROWADDR(1, R9)
	ROWADDR(2, R10)
	ROWADDR(3, R11)
	DOT4(R14, g16, g8, greduce, gtail, gstore)
	VMOVSS X0, (DI)
	VMOVSS X1, 4(DI)
	VMOVSS X2, 8(DI)
	VMOVSS X3, 12(DI)
	ADDQ   $16, DI
	ADDQ   $16, BX
	DECQ   R12
	JMP    gquad

gdone:
	VZEROUPPER
	RET

// func axpy4GatherAVX2(out *float32, k int, y *float32, idx *int32, w *float32, nq int)
//
// For each of the nq quads: out += Σ_b w[4q+b]·y[idx[4q+b]], each quad as
// axpy4AVX2 adds it, in one call for all quads.
TEXT ·axpy4GatherAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ k+8(FP), CX
	MOVQ y+16(FP), DX
	MOVQ idx+24(FP), BX
	MOVQ w+32(FP), SI
	MOVQ nq+40(FP), R12
	LEAQ (CX*4), R13

aquad:
	TESTQ        R12, R12
	JZ           adone
	ROWADDR(0, R8)
	ROWADDR(1, R9)
	ROWADDR(2, R10)
	ROWADDR(3, R11)
	VBROADCASTSS (SI), Y12
	VBROADCASTSS 4(SI), Y13
	VBROADCASTSS 8(SI), Y14
	VBROADCASTSS 12(SI), Y15
	AXPY4(R14, a16, a8, atail, anext)
	ADDQ         $16, SI
	ADDQ         $16, BX
	DECQ         R12
	JMP          aquad

adone:
	VZEROUPPER
	RET

// func dotDiffAVX2(p, a, b []float32) float32
//
// Σ p[i]·(a[i] − b[i]) over len(p) elements (a and b at least as long).
TEXT ·dotDiffAVX2(SB), NOSPLIT, $0-76
	MOVQ   p_base+0(FP), SI
	MOVQ   p_len+8(FP), CX
	MOVQ   a_base+24(FP), R8
	MOVQ   b_base+48(FP), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   AX, AX

dd16:
	LEAQ        16(AX), DX
	CMPQ        DX, CX
	JGT         dd8
	VMOVUPS     (R8)(AX*4), Y2
	VMOVUPS     32(R8)(AX*4), Y3
	VSUBPS      (R9)(AX*4), Y2, Y2
	VSUBPS      32(R9)(AX*4), Y3, Y3
	VFMADD231PS (SI)(AX*4), Y2, Y0
	VFMADD231PS 32(SI)(AX*4), Y3, Y1
	MOVQ        DX, AX
	JMP         dd16

dd8:
	LEAQ        8(AX), DX
	CMPQ        DX, CX
	JGT         ddreduce
	VMOVUPS     (R8)(AX*4), Y2
	VSUBPS      (R9)(AX*4), Y2, Y2
	VFMADD231PS (SI)(AX*4), Y2, Y0
	MOVQ        DX, AX

ddreduce:
	VADDPS Y1, Y0, Y0
	HSUM(Y0, X0, X8)

ddtail:
	CMPQ        AX, CX
	JGE         dddone
	VMOVSS      (R8)(AX*4), X2
	VSUBSS      (R9)(AX*4), X2, X2
	VFMADD231SS (SI)(AX*4), X2, X0
	INCQ        AX
	JMP         ddtail

dddone:
	VZEROUPPER
	MOVSS X0, ret+72(FP)
	RET

// func firstAboveAVX2(s []float32, from int, thr float32) int
//
// The first index i ≥ from with s[i] > thr (ordered: NaN never is), or
// len(s). Eight scores per compare.
TEXT ·firstAboveAVX2(SB), NOSPLIT, $0-48
	MOVQ         s_base+0(FP), SI
	MOVQ         s_len+8(FP), CX
	MOVQ         from+24(FP), AX
	VBROADCASTSS thr+32(FP), Y1

fa8:
	LEAQ      8(AX), DX
	CMPQ      DX, CX
	JGT       fatail
	VCMPPS    $0x11, (SI)(AX*4), Y1, Y2 // thr < s (LT_OQ)
	VMOVMSKPS Y2, BX
	TESTL     BX, BX
	JNZ       fafound8
	MOVQ      DX, AX
	JMP       fa8

fafound8:
	BSFL BX, BX
	ADDQ BX, AX
	JMP  fadone

fatail:
	CMPQ     AX, CX
	JGE      fadone
	VMOVSS   (SI)(AX*4), X0
	VUCOMISS X1, X0
	JA       fadone
	INCQ     AX
	JMP      fatail

fadone:
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET

// func axpy64AVX2(n int, s float64, x *float64, y *float64)
//
// y[i] += s·x[i] for i < n (float64, four lanes, FMA).
TEXT ·axpy64AVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSD s+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-8, BX

a64x8:
	CMPQ        AX, BX
	JGE         a64tail
	VMOVUPD     (DI)(AX*8), Y1
	VMOVUPD     32(DI)(AX*8), Y2
	VFMADD231PD (SI)(AX*8), Y0, Y1
	VFMADD231PD 32(SI)(AX*8), Y0, Y2
	VMOVUPD     Y1, (DI)(AX*8)
	VMOVUPD     Y2, 32(DI)(AX*8)
	ADDQ        $8, AX
	JMP         a64x8

a64tail:
	CMPQ        AX, CX
	JGE         a64done
	VMOVSD      (DI)(AX*8), X1
	VMOVSD      (SI)(AX*8), X2
	VFMADD231SD X2, X0, X1
	VMOVSD      X1, (DI)(AX*8)
	INCQ        AX
	JMP         a64tail

a64done:
	VZEROUPPER
	RET
