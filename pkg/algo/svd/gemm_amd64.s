//go:build amd64 && !purego

#include "textflag.h"

// func axpy4AVX2(n int, w *float64, x0, x1, x2, x3 *float64, y *float64)
//
// y[i] += w[0]·x0[i] + w[1]·x1[i] + w[2]·x2[i] + w[3]·x3[i] for i < n,
// summed in that order.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-56
	MOVQ         n+0(FP), CX
	MOVQ         w+8(FP), AX
	VBROADCASTSD (AX), Y0
	VBROADCASTSD 8(AX), Y1
	VBROADCASTSD 16(AX), Y2
	VBROADCASTSD 24(AX), Y3
	MOVQ         x0+16(FP), R8
	MOVQ         x1+24(FP), R9
	MOVQ         x2+32(FP), R10
	MOVQ         x3+40(FP), R11
	MOVQ         y+48(FP), DI
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-8, BX

axpy48:
	CMPQ        AX, BX
	JGE         axpy4tail
	VMOVUPD     (DI)(AX*8), Y4
	VMOVUPD     32(DI)(AX*8), Y5
	VFMADD231PD (R8)(AX*8), Y0, Y4
	VFMADD231PD 32(R8)(AX*8), Y0, Y5
	VFMADD231PD (R9)(AX*8), Y1, Y4
	VFMADD231PD 32(R9)(AX*8), Y1, Y5
	VFMADD231PD (R10)(AX*8), Y2, Y4
	VFMADD231PD 32(R10)(AX*8), Y2, Y5
	VFMADD231PD (R11)(AX*8), Y3, Y4
	VFMADD231PD 32(R11)(AX*8), Y3, Y5
	VMOVUPD     Y4, (DI)(AX*8)
	VMOVUPD     Y5, 32(DI)(AX*8)
	ADDQ        $8, AX
	JMP         axpy48

axpy4tail:
	CMPQ        AX, CX
	JGE         axpy4done
	VMOVSD      (DI)(AX*8), X4
	VMOVSD      (R8)(AX*8), X5
	VFMADD231SD X5, X0, X4
	VMOVSD      (R9)(AX*8), X5
	VFMADD231SD X5, X1, X4
	VMOVSD      (R10)(AX*8), X5
	VFMADD231SD X5, X2, X4
	VMOVSD      (R11)(AX*8), X5
	VFMADD231SD X5, X3, X4
	VMOVSD      X4, (DI)(AX*8)
	INCQ        AX
	JMP         axpy4tail

axpy4done:
	VZEROUPPER
	RET

// func rotAVX2(n int, c, s float64, x, y *float64)
//
// x[i], y[i] = c·x[i] − s·y[i], s·x[i] + c·y[i] for i < n.
TEXT ·rotAVX2(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	VBROADCASTSD c+8(FP), Y0
	VBROADCASTSD s+16(FP), Y1
	MOVQ         x+24(FP), SI
	MOVQ         y+32(FP), DI
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-4, BX

rot4:
	CMPQ        AX, BX
	JGE         rottail
	VMOVUPD     (SI)(AX*8), Y2
	VMOVUPD     (DI)(AX*8), Y3
	VMULPD      Y3, Y1, Y4
	VFMSUB231PD Y2, Y0, Y4
	VMULPD      Y3, Y0, Y5
	VFMADD231PD Y2, Y1, Y5
	VMOVUPD     Y4, (SI)(AX*8)
	VMOVUPD     Y5, (DI)(AX*8)
	ADDQ        $4, AX
	JMP         rot4

rottail:
	CMPQ        AX, CX
	JGE         rotdone
	VMOVSD      (SI)(AX*8), X2
	VMOVSD      (DI)(AX*8), X3
	VMULSD      X3, X1, X4
	VFMSUB231SD X2, X0, X4
	VMULSD      X3, X0, X5
	VFMADD231SD X2, X1, X5
	VMOVSD      X4, (SI)(AX*8)
	VMOVSD      X5, (DI)(AX*8)
	INCQ        AX
	JMP         rottail

rotdone:
	VZEROUPPER
	RET

// func dotAVX2(n int, x, y *float64) float64
//
// Σ x[i]·y[i] for i < n: two 4-lane accumulators over blocks of 8, their
// lanes summed as ((l0+l2)+(l1+l3)), then the tail in order.
TEXT ·dotAVX2(SB), NOSPLIT, $0-32
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	XORQ   AX, AX
	MOVQ   CX, BX
	ANDQ   $-8, BX

dot8:
	CMPQ        AX, BX
	JGE         dotsum
	VMOVUPD     (SI)(AX*8), Y2
	VMOVUPD     32(SI)(AX*8), Y3
	VFMADD231PD (DI)(AX*8), Y2, Y0
	VFMADD231PD 32(DI)(AX*8), Y3, Y1
	ADDQ        $8, AX
	JMP         dot8

dotsum:
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VUNPCKHPD    X0, X0, X1
	VADDSD       X1, X0, X0

dottail:
	CMPQ        AX, CX
	JGE         dotdone
	VMOVSD      (SI)(AX*8), X2
	VFMADD231SD (DI)(AX*8), X2, X0
	INCQ        AX
	JMP         dottail

dotdone:
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET
