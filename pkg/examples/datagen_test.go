package examples

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/repotest"
)

var update = flag.Bool("update", false, "rewrite the committed example data from the generators")

// rng is splitmix64: a tiny generator whose output is fixed forever, so the
// committed data does not depend on the Go version's math/rand.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// pick draws an index with probability proportional to weights[i].
func (r *rng) pick(weights []float64) int {
	var total float64
	for _, w := range weights {
		total += w
	}
	x := r.float() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// epoch2026 is 2026-01-01T00:00:00Z.
const epoch2026 = 1767225600

// event is one generated interaction.
type event struct {
	user, item string
	at         int64 // epoch seconds
}

// sortEvents orders events by time, then user, then item, as a log would be.
func sortEvents(ev []event) {
	sort.Slice(ev, func(i, j int) bool {
		a, b := ev[i], ev[j]
		if a.at != b.at {
			return a.at < b.at
		}
		if a.user != b.user {
			return a.user < b.user
		}
		return a.item < b.item
	})
}

// Realistic example: a bookstore. Books belong to one of eight categories
// and are popular with a long tail; every reader prefers one or two
// categories and reads mostly (not only) there, over several months.

var bookCategories = []string{"science-fiction", "mystery", "cooking", "history", "travel", "poetry", "programming", "children"}

var (
	titleAdjectives = []string{"Silent", "Hidden", "Golden", "Broken", "Distant", "Quiet", "Burning", "Frozen", "Secret", "Wandering",
		"Crimson", "Endless", "Forgotten", "Hollow", "Last", "Midnight", "Northern", "Paper", "Restless", "Velvet"}
	titleNouns = []string{"Harbor", "Garden", "Kingdom", "Recipe", "Lantern", "River", "Compass", "Orchard", "Signal", "Library",
		"Mountain", "Engine", "Island", "Letter", "Market", "Voyage", "Winter", "Atlas", "Kitchen", "Algorithm"}
)

const (
	nBooks   = 240
	nReaders = 400
)

func bookID(i int) string   { return fmt.Sprintf("b%03d", i+1) }
func readerID(i int) string { return fmt.Sprintf("u%04d", i+1) }

// bookCategory is the category index of book i.
func bookCategory(i int) int { return i % len(bookCategories) }

// realisticItems is examples/realistic/data/items.csv.
func realisticItems() []byte {
	var b bytes.Buffer
	b.WriteString("item_id,title,category,year\n")
	for i := 0; i < nBooks; i++ {
		a := i % len(titleAdjectives)
		n := (a + i/len(titleAdjectives)) % len(titleNouns) // (a, n) pairs are unique for i < 400
		fmt.Fprintf(&b, "%s,The %s %s,%s,%d\n", bookID(i), titleAdjectives[a], titleNouns[n], bookCategories[bookCategory(i)], 1960+(i*37)%65)
	}
	return b.Bytes()
}

// realisticInteractions is examples/realistic/data/interactions.csv.
func realisticInteractions() []byte {
	r := &rng{s: 20260101}
	// Popularity: a long tail inside each category.
	pop := make([]float64, nBooks)
	for i := range pop {
		pop[i] = 1 / math.Pow(float64(i/len(bookCategories))+2, 1.1)
	}
	var ev []event
	for u := 0; u < nReaders; u++ {
		fav := []int{r.intn(len(bookCategories))}
		if r.float() < 0.5 {
			fav = append(fav, r.intn(len(bookCategories)))
		}
		n := 4 + r.intn(15)
		if r.float() < 0.1 {
			n += 20
		}
		weights := make([]float64, nBooks)
		for i := range weights {
			weights[i] = pop[i] * 0.15
			for _, c := range fav {
				if bookCategory(i) == c {
					weights[i] = pop[i] * 3
				}
			}
		}
		at := int64(epoch2026 + r.intn(120)*86400 + r.intn(86400))
		seen := map[int]bool{}
		for k := 0; k < n; k++ {
			i := r.pick(weights)
			if seen[i] {
				continue
			}
			seen[i] = true
			ev = append(ev, event{readerID(u), bookID(i), at})
			at += int64(3600 + r.intn(4*86400))
		}
	}
	sortEvents(ev)
	var b bytes.Buffer
	b.WriteString("user_id,item_id,timestamp\n")
	for _, e := range ev {
		fmt.Fprintf(&b, "%s,%s,%d\n", e.user, e.item, e.at)
	}
	return b.Bytes()
}

// SQL example: a small shop. Customers buy mostly in their favourite aisle;
// some products are discontinued and some purchases were returned, which the
// recipe's query filters out.

const (
	nProducts  = 80
	nCustomers = 150
	nAisles    = 5
)

var productKinds = []string{"Tea", "Coffee", "Mug", "Notebook", "Pen", "Lamp", "Blanket", "Candle"}

func productID(i int) string  { return fmt.Sprintf("p%03d", i+1) }
func customerID(i int) string { return fmt.Sprintf("c%03d", i+1) }

// productActive reports whether product i is still sold.
func productActive(i int) bool { return i%13 != 12 }

// shopSQL is examples/sql-sqlite/data/shop.sql: a script for the sqlite3
// command-line shell (and for database/sql, one Exec).
func shopSQL() []byte {
	r := &rng{s: 424242}
	var b bytes.Buffer
	b.WriteString("-- Generated by pkg/examples (go test ./examples/ -run TestExampleData -update); do not edit.\n")
	b.WriteString("-- Create the database with: sqlite3 data/shop.db < data/shop.sql\n")
	b.WriteString("BEGIN TRANSACTION;\n")
	b.WriteString("DROP TABLE IF EXISTS purchases;\nDROP TABLE IF EXISTS products;\n")
	b.WriteString("CREATE TABLE products (\n  product_id TEXT PRIMARY KEY,\n  name TEXT NOT NULL,\n  aisle INTEGER NOT NULL,\n  active INTEGER NOT NULL\n);\n")
	b.WriteString("CREATE TABLE purchases (\n  customer_id TEXT NOT NULL,\n  product_id TEXT NOT NULL REFERENCES products(product_id),\n" +
		"  purchased_at TEXT NOT NULL,\n  quantity INTEGER NOT NULL,\n  returned INTEGER NOT NULL\n);\n")
	b.WriteString("INSERT INTO products VALUES\n")
	for i := 0; i < nProducts; i++ {
		active := 0
		if productActive(i) {
			active = 1
		}
		sep := ",\n"
		if i == nProducts-1 {
			sep = ";\n"
		}
		fmt.Fprintf(&b, "('%s','%s No. %d',%d,%d)%s", productID(i), productKinds[i%len(productKinds)], i/len(productKinds)+1, i%nAisles, active, sep)
	}
	pop := make([]float64, nProducts)
	for i := range pop {
		pop[i] = 1 / math.Pow(float64(i/nAisles)+2, 1.2)
	}
	var rows []string
	type purchase struct {
		event
		qty, returned int
	}
	var ps []purchase
	for c := 0; c < nCustomers; c++ {
		aisle := r.intn(nAisles)
		weights := make([]float64, nProducts)
		for i := range weights {
			weights[i] = pop[i] * 0.2
			if i%nAisles == aisle {
				weights[i] = pop[i] * 2
			}
		}
		n := 3 + r.intn(14)
		at := int64(epoch2026 + r.intn(90)*86400 + 8*3600 + r.intn(12*3600))
		for k := 0; k < n; k++ {
			p := purchase{event: event{customerID(c), productID(r.pick(weights)), at}, qty: 1 + r.intn(3)}
			if r.float() < 0.05 {
				p.returned = 1
			}
			ps = append(ps, p)
			at += int64(6*3600 + r.intn(10*86400))
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].at < ps[j].at })
	for _, p := range ps {
		t := time.Unix(p.at, 0).UTC().Format(time.DateTime)
		rows = append(rows, fmt.Sprintf("('%s','%s','%s',%d,%d)", p.user, p.item, t, p.qty, p.returned))
	}
	// One INSERT per 100 rows keeps every statement small.
	for len(rows) > 0 {
		n := min(100, len(rows))
		b.WriteString("INSERT INTO purchases VALUES\n")
		b.WriteString(strings.Join(rows[:n], ",\n"))
		b.WriteString(";\n")
		rows = rows[n:]
	}
	b.WriteString("COMMIT;\n")
	return b.Bytes()
}

// exampleFile is one committed, generated file.
type exampleFile struct {
	path string // relative to the repository root
	gen  func() ([]byte, error)
	// equal compares the committed bytes with the generated ones; nil
	// compares bytes.
	equal func(committed, generated []byte) error
}

func exampleFiles() []exampleFile {
	return []exampleFile{
		{path: "examples/quickstart/data/interactions.csv", gen: infallible(quickstartInteractions)},
		{path: "examples/realistic/data/interactions.csv", gen: infallible(realisticInteractions)},
		{path: "examples/realistic/data/items.csv", gen: infallible(realisticItems)},
		{path: "examples/sql-sqlite/data/shop.sql", gen: infallible(shopSQL)},
		{path: "examples/parquet/data/listens.parquet", gen: listensParquet, equal: sameListens},
	}
}

// infallible adapts a generator that cannot fail.
func infallible(gen func() []byte) func() ([]byte, error) {
	return func() ([]byte, error) { return gen(), nil }
}

// TestExampleData checks that the committed example data is what the
// generators produce (with -update, it rewrites the files).
func TestExampleData(t *testing.T) {
	root := repotest.Root(t)
	for _, f := range exampleFiles() {
		t.Run(strings.TrimPrefix(f.path, "examples/"), func(t *testing.T) {
			want, err := f.gen()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, f.path)
			if *update {
				if err := writeFileAtomic(path, want); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s (%d bytes)", f.path, len(want))
				return
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (generate it with -update)", err)
			}
			if f.equal != nil {
				err = f.equal(got, want)
			} else if !bytes.Equal(got, want) {
				err = fmt.Errorf("content differs from its generator")
			}
			if err != nil {
				t.Fatalf("%s: %v (run go test ./examples/ -run TestExampleData -update)", f.path, err)
			}
		})
	}
}

// TestExampleDataSize keeps the committed data small.
func TestExampleDataSize(t *testing.T) {
	total := 0
	for _, f := range exampleFiles() {
		data, err := f.gen()
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
	}
	if total > 300<<10 {
		t.Errorf("generated example data is %d bytes, want < 300 KiB", total)
	}
}

// writeFileAtomic writes data to path through a synced temporary file and
// a rename, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
