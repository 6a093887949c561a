package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

var zsink float64

func BenchmarkZZMix(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(r, 64), randVec(r, 64)
	b.Run("dot", func(b *testing.B) {
		var s float32
		for b.Loop() {
			s += Dot(x, y)
		}
		zsink = float64(s)
	})
	b.Run("exp", func(b *testing.B) {
		t := 0.1
		for b.Loop() {
			t = math.Exp(-t) * 0.5
		}
		zsink = t
	})
	b.Run("both", func(b *testing.B) {
		var s float32
		t := 0.1
		for b.Loop() {
			s += Dot(x, y)
			t = math.Exp(-t) * 0.5
		}
		zsink = t + float64(s)
	})
	b.Run("dotgo", func(b *testing.B) {
		var s float32
		t := 0.1
		for b.Loop() {
			s += dotGo(x, y)
			t = math.Exp(-t) * 0.5
		}
		zsink = t + float64(s)
	})
}
