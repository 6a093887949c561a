//go:build amd64 && !purego

#include "textflag.h"

DATA bprOne<>+0(SB)/4, $0x3f800000 // 1.0
GLOBL bprOne<>(SB), RODATA|NOPTR, $4
DATA bprSign<>+0(SB)/4, $0x80000000 // sign bit
GLOBL bprSign<>(SB), RODATA|NOPTR, $4

// func bprStepAVX2(p, qi, qj, gp, gqi, gqj []float32, grad, lr, ia, ua float32)
//
// BPRStep over len(p) components, a multiple of 8; every other slice is at
// least as long (checked by the Go wrapper). Same float32 operations in the
// same order as bprStepGo: no FMA.
TEXT ·bprStepAVX2(SB), NOSPLIT, $0-160
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         qi_base+24(FP), R8
	MOVQ         qj_base+48(FP), R9
	MOVQ         gp_base+72(FP), R10
	MOVQ         gqi_base+96(FP), R11
	MOVQ         gqj_base+120(FP), R12
	VBROADCASTSS grad+144(FP), Y15
	VBROADCASTSS lr+148(FP), Y14
	VBROADCASTSS ia+152(FP), Y13
	VBROADCASTSS ua+156(FP), Y12
	VBROADCASTSS bprOne<>(SB), Y11
	VBROADCASTSS bprSign<>(SB), Y10
	XORQ         AX, AX

loop:
	CMPQ    AX, CX
	JGE     done
	VMOVUPS (DI)(AX*4), Y0 // p
	VMOVUPS (R8)(AX*4), Y1 // vi
	VMOVUPS (R9)(AX*4), Y2 // vj
	VMULPS  Y0, Y15, Y3    // dj = g·p
	VXORPS  Y10, Y3, Y4    // di = −g·p
	VSUBPS  Y1, Y2, Y5     // vj − vi
	VMULPS  Y5, Y15, Y5    // dp = g·(vj − vi)
	VSQRTPS (R11)(AX*4), Y6 // ri = √gqi
	VSQRTPS (R12)(AX*4), Y7 // rj = √gqj
	VSQRTPS (R10)(AX*4), Y8 // rp = √gp
	VMULPS  Y7, Y6, Y9
	VMULPS  Y8, Y9, Y9
	VDIVPS  Y9, Y14, Y9    // t = lr/(ri·rj·rp)
	VMULPS  Y6, Y9, Y6     // t·ri
	VMULPS  Y7, Y9, Y9
	VMULPS  Y8, Y9, Y9     // si = (t·rj)·rp
	VMULPS  Y6, Y8, Y8     // sj = (t·ri)·rp
	VMULPS  Y6, Y7, Y7     // sp = (t·ri)·rj

	VMULPS  Y9, Y4, Y6     // qi = (vi − si·di)·(1 − ia·si)
	VSUBPS  Y6, Y1, Y6
	VMULPS  Y9, Y13, Y1
	VSUBPS  Y1, Y11, Y1
	VMULPS  Y1, Y6, Y6
	VMOVUPS Y6, (R8)(AX*4)

	VMULPS  Y8, Y3, Y6     // qj = (vj − sj·dj)·(1 − ia·sj)
	VSUBPS  Y6, Y2, Y6
	VMULPS  Y8, Y13, Y2
	VSUBPS  Y2, Y11, Y2
	VMULPS  Y2, Y6, Y6
	VMOVUPS Y6, (R9)(AX*4)

	VMULPS  Y7, Y5, Y6     // p = (p − sp·dp)·(1 − ua·sp)
	VSUBPS  Y6, Y0, Y6
	VMULPS  Y7, Y12, Y0
	VSUBPS  Y0, Y11, Y0
	VMULPS  Y0, Y6, Y6
	VMOVUPS Y6, (DI)(AX*4)

	VMULPS  Y4, Y4, Y4     // accumulators += gradient²
	VADDPS  (R11)(AX*4), Y4, Y4
	VMOVUPS Y4, (R11)(AX*4)
	VMULPS  Y3, Y3, Y3
	VADDPS  (R12)(AX*4), Y3, Y3
	VMOVUPS Y3, (R12)(AX*4)
	VMULPS  Y5, Y5, Y5
	VADDPS  (R10)(AX*4), Y5, Y5
	VMOVUPS Y5, (R10)(AX*4)

	ADDQ    $8, AX
	JMP     loop

done:
	VZEROUPPER
	RET
