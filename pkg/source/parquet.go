package source

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source/pystr"
	"github.com/codelibs/recotem-go/pkg/source/rawfile"
)

// parquetSource reads one Parquet file (datasources.md §1.2), as the
// reference does (no directories or globs). Only the selected columns are
// decoded, row group by row group and page by page.
//
// Deliberate deviations: an integer id column with nulls keeps integer text
// ("12"; pandas converts the column to float and yields "12.0"); the
// sha256 is verified before decoding, without buffering the file.
type parquetSource struct {
	cfg recipe.ParquetSource
	env Env
}

func newParquet(cfg recipe.ParquetSource, env Env) (*parquetSource, error) {
	return &parquetSource{cfg: cfg, env: env}, nil
}

func (s *parquetSource) Type() string { return "parquet" }

// Probe checks that the file exists.
func (s *parquetSource) Probe(ctx context.Context) error {
	return rawfile.Probe(ctx, "Parquet", s.cfg.Path)
}

func (s *parquetSource) parseErr(err error) error {
	return dataErr("Failed to parse Parquet from '%s': %v", redact(s.cfg.Path), err)
}

// Fetch streams the rows of the file to sink.
func (s *parquetSource) Fetch(ctx context.Context, cols Columns, sink Sink) error {
	rf, err := rawfile.Open(ctx, "Parquet", s.cfg.Path, s.cfg.SHA256, s.env.getenv)
	if err != nil {
		return err
	}
	defer rf.Close()
	ra, size, err := rf.ReaderAt()
	if err != nil {
		return err
	}
	if err := rf.VerifyWhole(); err != nil {
		return err
	}
	return s.read(ctx, ra, size, cols, sink)
}

// colReader decodes one leaf column across pages and row groups.
type colReader struct {
	kind  parquet.Kind
	conv  valueConv
	pages parquet.Pages
	page  parquet.Page
	vr    parquet.ValueReader
	buf   []parquet.Value
	i, n  int
}

func (c *colReader) next() (parquet.Value, error) {
	for c.i >= c.n {
		if c.vr != nil {
			n, err := c.vr.ReadValues(c.buf)
			c.i, c.n = 0, n
			if n > 0 {
				break
			}
			if err != nil && err != io.EOF {
				return parquet.Value{}, err
			}
			if c.page != nil {
				parquet.Release(c.page)
			}
			c.page, c.vr = nil, nil
		}
		p, err := c.pages.ReadPage()
		if err != nil {
			return parquet.Value{}, err
		}
		c.page = p
		c.vr = p.Values()
	}
	v := c.buf[c.i]
	c.i++
	return v, nil
}

func (c *colReader) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
	}
}

// valueConv says how a column's physical values are interpreted.
type valueConv int

const (
	convPlain   valueConv = iota
	convTSMilli           // timestamp in ms
	convTSMicro
	convTSNano
	convDate  // days since epoch
	convInt96 // legacy Impala timestamp
)

func convOf(t parquet.Type) valueConv {
	if t.Kind() == parquet.Int96 {
		return convInt96
	}
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.TimestampType:
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				return convTSMilli
			case *format.MicroSeconds:
				return convTSMicro
			case *format.NanoSeconds:
				return convTSNano
			}
		case *format.DateType:
			return convDate
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.TimestampMillis:
			return convTSMilli
		case deprecated.TimestampMicros:
			return convTSMicro
		case deprecated.Date:
			return convDate
		}
	}
	return convPlain
}

func (s *parquetSource) read(ctx context.Context, r io.ReaderAt, size int64, cols Columns, sink Sink) error {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return s.parseErr(err)
	}
	var names []string
	for _, fl := range f.Schema().Fields() {
		names = append(names, fl.Name())
	}
	sel, err := selectColumns(names, cols)
	if err != nil {
		return err
	}
	roles := []int{sel.user, sel.item}
	if sel.time >= 0 {
		roles = append(roles, sel.time)
	}
	leaves := make([]parquet.LeafColumn, len(roles))
	for i, idx := range roles {
		leaf, ok := f.Schema().Lookup(names[idx])
		if !ok || leaf.Node == nil || !leaf.Node.Leaf() {
			return s.parseErr(fmt.Errorf("column '%s' is not a flat column", names[idx]))
		}
		if leaf.MaxRepetitionLevel > 0 {
			return s.parseErr(fmt.Errorf("column '%s' is a repeated (list) column", names[idx]))
		}
		leaves[i] = leaf
	}
	if err := sink.Begin(Header{Columns: names, HasTime: sel.time >= 0}); err != nil {
		return err
	}
	readers := make([]*colReader, len(roles))
	for i := range readers {
		t := leaves[i].Node.Type()
		readers[i] = &colReader{kind: t.Kind(), conv: convOf(t), buf: make([]parquet.Value, 4096)}
	}
	var row Row
	var ubuf, ibuf []byte
	for _, rg := range f.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunks := rg.ColumnChunks()
		for i, c := range readers {
			c.pages = chunks[leaves[i].ColumnIndex].Pages()
			c.page, c.vr, c.i, c.n = nil, nil, 0, 0
		}
		nrows := rg.NumRows()
		for k := int64(0); k < nrows; k++ {
			uv, err := readers[0].next()
			if err != nil {
				closeAll(readers)
				return s.parseErr(err)
			}
			iv, err := readers[1].next()
			if err != nil {
				closeAll(readers)
				return s.parseErr(err)
			}
			row.User, row.UserNull, ubuf = idText(uv, readers[0], ubuf[:0])
			row.Item, row.ItemNull, ibuf = idText(iv, readers[1], ibuf[:0])
			if len(readers) > 2 {
				tv, err := readers[2].next()
				if err != nil {
					closeAll(readers)
					return s.parseErr(err)
				}
				row.Time = timeOf(tv, readers[2])
			}
			if err := sink.Row(&row); err != nil {
				closeAll(readers)
				return err
			}
		}
		closeAll(readers)
	}
	return nil
}

func closeAll(rs []*colReader) {
	for _, r := range rs {
		r.close()
	}
}

// idText renders an id value as the reference's str() would.
func idText(v parquet.Value, c *colReader, buf []byte) ([]byte, bool, []byte) {
	if v.IsNull() {
		return nil, true, buf
	}
	switch c.conv {
	case convTSMilli, convTSMicro, convTSNano, convDate, convInt96:
		t := timeOf(v, c).Instant
		buf = t.AppendFormat(buf, "2006-01-02 15:04:05.999999999")
		return buf, false, buf
	}
	switch c.kind {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return v.ByteArray(), false, buf
	case parquet.Int32:
		buf = strconv.AppendInt(buf, int64(v.Int32()), 10)
	case parquet.Int64:
		buf = strconv.AppendInt(buf, v.Int64(), 10)
	case parquet.Float:
		buf = pystr.AppendFloat(buf, float64(v.Float()))
	case parquet.Double:
		buf = pystr.AppendFloat(buf, v.Double())
	case parquet.Boolean:
		buf = pystr.AppendBool(buf, v.Boolean())
	default:
		buf = append(buf, v.String()...)
	}
	return buf, false, buf
}

// timeOf converts a time-column value.
func timeOf(v parquet.Value, c *colReader) Value {
	if v.IsNull() {
		return Value{Kind: TimeNull}
	}
	switch c.conv {
	case convTSMilli:
		return Value{Kind: TimeInstant, Instant: time.UnixMilli(v.Int64()).UTC()}
	case convTSMicro:
		return Value{Kind: TimeInstant, Instant: time.UnixMicro(v.Int64()).UTC()}
	case convTSNano:
		return Value{Kind: TimeInstant, Instant: time.Unix(0, v.Int64()).UTC()}
	case convDate:
		return Value{Kind: TimeInstant, Instant: time.Unix(int64(v.Int32())*86400, 0).UTC()}
	case convInt96:
		return Value{Kind: TimeInstant, Instant: int96Time(v.Int96())}
	}
	switch c.kind {
	case parquet.Int32:
		return Value{Kind: TimeInt, Int: int64(v.Int32())}
	case parquet.Int64:
		return Value{Kind: TimeInt, Int: v.Int64()}
	case parquet.Float:
		return Value{Kind: TimeFloat, Float: float64(v.Float())}
	case parquet.Double:
		return Value{Kind: TimeFloat, Float: v.Double()}
	case parquet.Boolean:
		b := int64(0)
		if v.Boolean() {
			b = 1
		}
		return Value{Kind: TimeBool, Int: b}
	}
	return Value{Kind: TimeText, Text: v.ByteArray()}
}

// int96Time decodes an Impala INT96 timestamp: nanoseconds of the day in
// the first 8 bytes, Julian day in the last 4.
func int96Time(i deprecated.Int96) time.Time {
	nanos := int64(i[1])<<32 | int64(i[0])
	julian := int64(i[2])
	const unixEpochJulian = 2440588
	return time.Unix((julian-unixEpochJulian)*86400, nanos).UTC()
}
