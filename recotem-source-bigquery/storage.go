package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	bqstorage "cloud.google.com/go/bigquery/storage/apiv1"
	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

const (
	// maxStreams is the number of read streams requested. One stream keeps
	// the rows in the table's order (an ORDER BY survives, as on the REST
	// path) and needs no buffering; recotem reads the output through one
	// pipe anyway. Should the service return more, they are read one after
	// another in the order listed.
	maxStreams = 1
	// createAttempts bounds the CreateReadSession attempts on Unavailable.
	createAttempts = 3
	// resumeAttempts bounds the consecutive ReadRows reconnections (at the
	// row offset reached) after an Unavailable stream interruption.
	resumeAttempts = 3
	// retryPause is the first pause between attempts; it doubles each time.
	retryPause = 100 * time.Millisecond
	// maxMessage is the largest gRPC message accepted (a ReadRows response
	// holds up to 128 MB).
	maxMessage = 1 << 28
)

// storageError is a Storage Read API failure that happened before any
// output was written, so the REST API can still take over.
type storageError struct {
	op  string // the call that failed
	err error
}

func (e *storageError) Error() string { return e.op + ": " + e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// iamShaped reports whether err is a permission refusal (datasources.md
// §1.5): gRPC PermissionDenied, HTTP 403, or a message containing
// PERMISSION_DENIED, Forbidden or "permission denied".
func iamShaped(err error) bool {
	if status.Code(err) == codes.PermissionDenied {
		return true
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) && (ae.HTTPCode() == 403 || ae.GRPCStatus().Code() == codes.PermissionDenied) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "PERMISSION_DENIED") || strings.Contains(msg, "Forbidden") ||
		strings.Contains(strings.ToLower(msg), "permission denied")
}

// readClient builds the Storage Read API client: Application Default
// Credentials against the service, or plaintext without authentication
// against EnvStorageEmulatorHost.
func readClient(ctx context.Context, getenv func(string) string) (*bqstorage.BigQueryReadClient, error) {
	var opts []option.ClientOption
	if h := getenv(EnvStorageEmulatorHost); h != "" {
		conn, err := grpc.NewClient(h, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage)))
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvStorageEmulatorHost, h, err)
		}
		opts = append(opts, option.WithGRPCConn(conn))
	}
	return bqstorage.NewBigQueryReadClient(ctx, opts...)
}

// downloadStorage reads the table (projects/P/datasets/D/tables/T) through
// the Storage Read API in Arrow format, with a read session created in the
// billing project, and writes the header and the rows to w. Errors before the first byte of output are
// *storageError; later ones are failures (exit 3).
func downloadStorage(ctx context.Context, project, table string, getenv func(string) string, w *bufio.Writer) error {
	rc, err := readClient(ctx, getenv)
	if err != nil {
		return &storageError{op: "client creation", err: err}
	}
	defer rc.Close() // also closes an emulator connection (option.WithGRPCConn)
	session, err := rc.CreateReadSession(ctx, &storagepb.CreateReadSessionRequest{
		Parent:         "projects/" + project,
		ReadSession:    &storagepb.ReadSession{Table: table, DataFormat: storagepb.DataFormat_ARROW},
		MaxStreamCount: maxStreams,
	}, gax.WithRetry(func() gax.Retryer { return &unavailableRetryer{left: createAttempts - 1, pause: retryPause} }))
	if err != nil {
		return &storageError{op: "CreateReadSession", err: err}
	}
	rawSchema := session.GetArrowSchema().GetSerializedSchema()
	schema, err := arrowSchema(rawSchema)
	if err != nil {
		return &storageError{op: "CreateReadSession", err: err}
	}

	started := false
	start := func() {
		if !started {
			names := make([]string, schema.NumFields())
			for i, f := range schema.Fields() {
				names[i] = f.Name
			}
			writeHeader(w, names)
			started = true
		}
	}
	var buf []byte
	emit := func(rec arrow.RecordBatch) error {
		if rec.NumRows() == 0 {
			return nil
		}
		start()
		cols := rec.Columns()
		for i := 0; i < int(rec.NumRows()); i++ {
			var err error
			if buf, err = appendArrowRow(buf[:0], cols, i); err != nil {
				return err
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	}
	for _, st := range session.GetStreams() {
		if err := readStream(ctx, rc, st.GetName(), rawSchema, schema, emit); err != nil {
			if !started {
				return &storageError{op: "ReadRows", err: err}
			}
			return fail("Failed to download BigQuery results: Storage Read API %v", oneLine(err.Error()))
		}
	}
	start()
	return nil
}

// arrowSchema decodes the IPC-serialized schema of a read session.
func arrowSchema(raw []byte) (*arrow.Schema, error) {
	if len(raw) == 0 {
		return nil, errors.New("the read session has no Arrow schema")
	}
	r, err := ipc.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decoding the Arrow schema: %w", err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// readStream reads one stream to its end, passing every record batch to
// emit. An Unavailable interruption reconnects at the row offset reached,
// up to resumeAttempts times in a row.
func readStream(ctx context.Context, rc *bqstorage.BigQueryReadClient, name string, rawSchema []byte, schema *arrow.Schema,
	emit func(arrow.RecordBatch) error) error {
	var offset int64
	failures := 0
	pause := retryPause
	for {
		progressed, err := readFrom(ctx, rc, name, offset, rawSchema, schema, func(rec arrow.RecordBatch) error {
			if err := emit(rec); err != nil {
				return err
			}
			offset += rec.NumRows()
			return nil
		})
		if err == nil {
			return nil
		}
		if progressed {
			failures, pause = 0, retryPause
		}
		var re *recvError
		if !errors.As(err, &re) || status.Code(re.err) != codes.Unavailable || failures >= resumeAttempts {
			return fmt.Errorf("stream %s at row %d: %w", name, offset, err)
		}
		failures++
		select {
		case <-ctx.Done():
			return fmt.Errorf("stream %s at row %d: %w", name, offset, ctx.Err())
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// recvError is a gRPC failure of ReadRows, as opposed to a decoding or
// output error; only these are resumable.
type recvError struct{ err error }

func (e *recvError) Error() string { return e.err.Error() }
func (e *recvError) Unwrap() error { return e.err }

// readFrom opens the stream at offset and reads it to the end or the first
// error; progressed reports whether any rows arrived.
func readFrom(ctx context.Context, rc *bqstorage.BigQueryReadClient, name string, offset int64, rawSchema []byte, schema *arrow.Schema,
	emit func(arrow.RecordBatch) error) (progressed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := rc.ReadRows(ctx, &storagepb.ReadRowsRequest{ReadStream: name, Offset: offset}, gax.WithRetry(nil))
	if err != nil {
		return false, &recvError{err}
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return progressed, nil
			}
			return progressed, &recvError{err}
		}
		batch := resp.GetArrowRecordBatch().GetSerializedRecordBatch()
		if len(batch) == 0 {
			continue
		}
		r, err := ipc.NewReader(io.MultiReader(bytes.NewReader(rawSchema), bytes.NewReader(batch)), ipc.WithSchema(schema))
		if err != nil {
			return progressed, fmt.Errorf("decoding an Arrow record batch: %w", err)
		}
		for r.Next() {
			if err := emit(r.RecordBatch()); err != nil {
				r.Release()
				return progressed, err
			}
			progressed = true
		}
		err = r.Err()
		r.Release()
		if err != nil {
			return progressed, fmt.Errorf("decoding an Arrow record batch: %w", err)
		}
	}
}

// unavailableRetryer retries Unavailable errors a bounded number of times
// with a doubling pause.
type unavailableRetryer struct {
	left  int
	pause time.Duration
}

func (r *unavailableRetryer) Retry(err error) (time.Duration, bool) {
	if r.left <= 0 || status.Code(err) != codes.Unavailable {
		return 0, false
	}
	r.left--
	p := r.pause
	r.pause *= 2
	return p, true
}
