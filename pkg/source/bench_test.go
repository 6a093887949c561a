package source

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"

	"github.com/codelibs/recotem-go/pkg/recipe"
)

// benchRows is the size of the generated benchmark table.
const benchRows = 5_000_000

// countSink counts rows and bytes, touching every id like a consumer would.
type countSink struct{ rows, bytes int }

func (c *countSink) Begin(Header) error { return nil }
func (c *countSink) Row(r *Row) error {
	c.rows++
	c.bytes += len(r.User) + len(r.Item)
	return nil
}

// writeBenchCSV writes benchRows rows of user_id,item_id,timestamp.
func writeBenchCSV(b *testing.B, path string, compress bool) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var w *bufio.Writer
	var z *gzip.Writer
	if compress {
		z, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = bufio.NewWriterSize(z, 1<<20)
	} else {
		w = bufio.NewWriterSize(f, 1<<20)
	}
	w.WriteString("user_id,item_id,timestamp\n")
	var line []byte
	for i := 0; i < benchRows; i++ {
		line = append(line[:0], 'u')
		line = strconv.AppendInt(line, int64(i%100003), 10)
		line = append(line, ",i"...)
		line = strconv.AppendInt(line, int64((i*7919)%20011), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, 1700000000+int64(i), 10)
		line = append(line, '\n')
		w.Write(line)
	}
	w.Flush()
	if z != nil {
		z.Close()
	}
}

type benchRow struct {
	User string    `parquet:"user_id"`
	Item string    `parquet:"item_id"`
	TS   time.Time `parquet:"timestamp,timestamp(millisecond)"`
}

func writeBenchParquet(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[benchRow](f)
	batch := make([]benchRow, 0, 10000)
	for i := 0; i < benchRows; i++ {
		batch = append(batch, benchRow{User: "u" + strconv.Itoa(i%100003), Item: "i" + strconv.Itoa((i*7919)%20011), TS: time.UnixMilli(1700000000000 + int64(i))})
		if len(batch) == cap(batch) {
			if _, err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := w.Write(batch); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

func runBench(b *testing.B, src recipe.Source) {
	s, err := New(src, Env{Plugins: NewRegistry(), Getenv: func(k string) string {
		if k == EnvMaxDownloadBytes {
			return "17179869184"
		}
		return ""
	}})
	if err != nil {
		b.Fatal(err)
	}
	cols := Columns{User: "user_id", Item: "item_id", Time: "timestamp"}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	rows := 0
	for i := 0; i < b.N; i++ {
		var c countSink
		if err := s.Fetch(context.Background(), cols, &c); err != nil {
			b.Fatal(err)
		}
		if c.rows != benchRows {
			b.Fatalf("%d rows", c.rows)
		}
		rows += c.rows
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	// Wall-clock throughput depends on other load on the machine; the CPU
	// time of the process measures what one core achieves.
	b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(rows), "heapB/row")
}

// cpuTime returns the user+system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFetchCSV measures plain CSV: go test -run XXX -bench FetchCSV -benchtime 1x -cpu 1
func BenchmarkFetchCSV(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bench.csv")
	writeBenchCSV(b, p, false)
	runBench(b, recipe.Source{Type: "csv", CSV: &recipe.CSVSource{Type: "csv", Path: p}})
}

// BenchmarkFetchCSVGzip measures gzip-compressed CSV.
func BenchmarkFetchCSVGzip(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bench.csv.gz")
	writeBenchCSV(b, p, true)
	runBench(b, recipe.Source{Type: "csv", CSV: &recipe.CSVSource{Type: "csv", Path: p}})
}

// BenchmarkFetchParquet measures Parquet with a millisecond timestamp column.
func BenchmarkFetchParquet(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bench.parquet")
	writeBenchParquet(b, p)
	runBench(b, recipe.Source{Type: "parquet", Parquet: &recipe.ParquetSource{Type: "parquet", Path: p}})
}
