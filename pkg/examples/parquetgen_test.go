package examples

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Parquet example: a music service's play log. User ids are integers (the
// trainer turns them into the strings "1", "2", …), track ids are strings
// and the play time is a Parquet TIMESTAMP(MILLIS) column, so the recipe
// needs no time_unit.

// listen is one row of examples/parquet/data/listens.parquet.
type listen struct {
	UserID        int64     `parquet:"user_id"`
	TrackID       string    `parquet:"track_id,dict"`
	PlayedAt      time.Time `parquet:"played_at,timestamp(millisecond)"`
	SecondsPlayed int32     `parquet:"seconds_played"`
}

const (
	nListeners = 250
	nTracks    = 150
	nGenres    = 6
)

func trackID(i int) string { return fmt.Sprintf("t%04d", i+1) }

// listens generates the rows: every listener favours one genre (track
// index modulo nGenres) and plays popular tracks more often.
func listens() []listen {
	r := &rng{s: 777}
	pop := make([]float64, nTracks)
	for i := range pop {
		pop[i] = 1 / math.Pow(float64(i/nGenres)+2, 1.0)
	}
	var ev []event
	secs := map[event]int32{}
	for u := 0; u < nListeners; u++ {
		genre := r.intn(nGenres)
		weights := make([]float64, nTracks)
		for i := range weights {
			weights[i] = pop[i] * 0.25
			if i%nGenres == genre {
				weights[i] = pop[i] * 2.5
			}
		}
		n := 3 + r.intn(11)
		at := int64(epoch2026+r.intn(60)*86400+r.intn(86400)) * 1000
		seen := map[int]bool{}
		for k := 0; k < n; k++ {
			i := r.pick(weights)
			if seen[i] {
				continue
			}
			seen[i] = true
			e := event{fmt.Sprint(u + 1), trackID(i), at}
			ev = append(ev, e)
			secs[e] = int32(30 + r.intn(240))
			at += int64(180_000 + r.intn(3*86400_000))
		}
	}
	sortEvents(ev)
	rows := make([]listen, len(ev))
	for k, e := range ev {
		var uid int64
		fmt.Sscan(e.user, &uid)
		rows[k] = listen{UserID: uid, TrackID: e.item, PlayedAt: time.UnixMilli(e.at).UTC(), SecondsPlayed: secs[e]}
	}
	return rows
}

// listensParquet is examples/parquet/data/listens.parquet.
func listensParquet() ([]byte, error) {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[listen](&b, parquet.Compression(&parquet.Zstd))
	if _, err := w.Write(listens()); err != nil {
		return nil, fmt.Errorf("write listens: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close listens: %w", err)
	}
	return b.Bytes(), nil
}

// sameListens compares the rows of two Parquet files (the bytes depend on
// the parquet-go version, the rows do not).
func sameListens(committed, generated []byte) error {
	read := func(data []byte) ([]listen, error) {
		return parquet.Read[listen](bytes.NewReader(data), int64(len(data)))
	}
	got, err := read(committed)
	if err != nil {
		return fmt.Errorf("read committed file: %w", err)
	}
	want, err := read(generated)
	if err != nil {
		return fmt.Errorf("read generated file: %w", err)
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, generator makes %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.UserID != w.UserID || g.TrackID != w.TrackID || !g.PlayedAt.Equal(w.PlayedAt) || g.SecondsPlayed != w.SecondsPlayed {
			return fmt.Errorf("row %d is %+v, generator makes %+v", i, g, w)
		}
	}
	return nil
}
