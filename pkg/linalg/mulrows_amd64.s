//go:build amd64 && !purego

#include "textflag.h"

// ROWS4(g, acc0, acc1, acc2, acc3) adds g times the broadcast x values of
// column c of the four rows (at R13, R13+R8, R13+2·R8, R13+R9) to the four
// accumulators; Y15 is clobbered.
#define ROWS4(g, a0, a1, a2, a3) \
	VBROADCASTSS (R13), Y15         \
	VFMADD231PS  g, Y15, a0         \
	VBROADCASTSS (R13)(R8*1), Y15   \
	VFMADD231PS  g, Y15, a1         \
	VBROADCASTSS (R13)(R8*2), Y15   \
	VFMADD231PS  g, Y15, a2         \
	VBROADCASTSS (R13)(R9*1), Y15   \
	VFMADD231PS  g, Y15, a3

// BCAST3(x, a0, a1, a2) adds the broadcast value at x times the three
// column chunks Y12, Y13, Y14 to a0, a1, a2: one load for three FMAs.
#define BCAST3(x, a0, a1, a2) \
	VBROADCASTSS x, Y15      \
	VFMADD231PS  Y12, Y15, a0 \
	VFMADD231PS  Y13, Y15, a1 \
	VFMADD231PS  Y14, Y15, a2

// func mulRows4AVX2(dst, x, m *float32, k, ld int)
//
// dst[b·ld+j] = Σ_c x[b·k+c]·m[c·ld+j] for b < 4 and j < ld (a multiple of
// 8), k ≥ 1. Columns go in blocks of 24 (twelve accumulators: 4 rows × 3
// vectors: each loaded element of m feeds four FMAs and each broadcast x
// value three), then of 8.
TEXT ·mulRows4AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ k+24(FP), CX
	MOVQ ld+32(FP), BX
	LEAQ (CX*4), R8        // bytes per row of x
	LEAQ (R8)(R8*2), R9    // three rows of x
	LEAQ (BX*4), R10       // bytes per row of m and dst
	XORQ R11, R11          // byte offset of the column block

block24:
	LEAQ   96(R11), AX
	CMPQ   AX, R10
	JGT    block8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	LEAQ   (DX)(R11*1), R12
	MOVQ   SI, R13
	MOVQ   CX, R14

loop24:
	VMOVUPS (R12), Y12
	VMOVUPS 32(R12), Y13
	VMOVUPS 64(R12), Y14
	BCAST3((R13), Y0, Y1, Y2)
	BCAST3((R13)(R8*1), Y3, Y4, Y5)
	BCAST3((R13)(R8*2), Y6, Y7, Y8)
	BCAST3((R13)(R9*1), Y9, Y10, Y11)
	ADDQ    $4, R13
	ADDQ    R10, R12
	DECQ    R14
	JNZ     loop24

	LEAQ    (DI)(R11*1), R12
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	ADDQ    R10, R12
	VMOVUPS Y3, (R12)
	VMOVUPS Y4, 32(R12)
	VMOVUPS Y5, 64(R12)
	ADDQ    R10, R12
	VMOVUPS Y6, (R12)
	VMOVUPS Y7, 32(R12)
	VMOVUPS Y8, 64(R12)
	ADDQ    R10, R12
	VMOVUPS Y9, (R12)
	VMOVUPS Y10, 32(R12)
	VMOVUPS Y11, 64(R12)
	MOVQ    AX, R11
	JMP     block24

block8:
	CMPQ   R11, R10
	JGE    done
	VXORPS Y0, Y0, Y0
	VXORPS Y3, Y3, Y3
	VXORPS Y6, Y6, Y6
	VXORPS Y9, Y9, Y9
	LEAQ   (DX)(R11*1), R12
	MOVQ   SI, R13
	MOVQ   CX, R14

loop8:
	VMOVUPS (R12), Y12
	ROWS4(Y12, Y0, Y3, Y6, Y9)
	ADDQ    $4, R13
	ADDQ    R10, R12
	DECQ    R14
	JNZ     loop8

	LEAQ    (DI)(R11*1), R12
	VMOVUPS Y0, (R12)
	ADDQ    R10, R12
	VMOVUPS Y3, (R12)
	ADDQ    R10, R12
	VMOVUPS Y6, (R12)
	ADDQ    R10, R12
	VMOVUPS Y9, (R12)
	ADDQ    $32, R11
	JMP     block8

done:
	VZEROUPPER
	RET
