package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	bigquery "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"
)

// Reasons of the bigquery_storage_fallback log line, the plugin's
// equivalent of the reference's recotem_bigquery_storage_fallback_total
// counter (the plugin is a short-lived process without metrics).
const (
	// reasonAPIError: the Storage Read API refused for lack of permission
	// and the results were downloaded with the REST API instead.
	reasonAPIError = "api_error"
	// reasonNonIAM: the Storage Read API failed for another reason; the
	// fetch failed without trying the REST API.
	reasonNonIAM = "non_iam_error_no_fallback"
)

// readSessionPermission is the IAM permission the Storage Read API needs
// on the billing project, as the reference names it.
const readSessionPermission = "bigquery.readSessions.create"

// fetch runs the query with jobs.query, waits for the job, and downloads
// its destination table through the Storage Read API, falling back to
// jobs.getQueryResults paging on permission errors (datasources.md §1.5).
// Rows are written as NDJSON on stdout; log lines go to stderr.
func fetch(ctx context.Context, cfg config, stdout, stderr io.Writer, getenv func(string) string, opts []option.ClientOption) error {
	params, err := queryParameters(cfg.QueryParameters)
	if err != nil {
		return err
	}
	strict := truthy(getenv(EnvRequireStorageAPI))
	svc, project, err := client(ctx, cfg, getenv, opts)
	if err != nil {
		return fail("Failed to create BigQuery client: %v", err)
	}
	resp, err := svc.Jobs.Query(project, queryRequest(cfg, params, false)).Context(ctx).Do()
	if err != nil {
		return fail("BigQuery query submission failed: %v", err)
	}
	if len(resp.Errors) > 0 {
		return fail("BigQuery query execution failed: %s", resp.Errors[0].Message)
	}
	if resp.JobReference == nil {
		return fail("BigQuery query submission failed: no job reference in the response")
	}
	job := resp.JobReference
	if !resp.JobComplete {
		if err := waitJob(ctx, svc, project, job); err != nil {
			return err
		}
	}
	w := bufio.NewWriterSize(stdout, 256<<10)

	table, err := destinationTable(ctx, svc, project, job)
	if err != nil {
		return err
	}
	skip := ""
	switch {
	case table == "":
		skip = "the query job has no destination table (e.g. a script)"
	case getenv(EnvEmulatorHost) != "" && getenv(EnvStorageEmulatorHost) == "":
		skip = EnvEmulatorHost + " is set without " + EnvStorageEmulatorHost
	}
	if skip != "" {
		if strict {
			return fail("%s is set, but the Storage Read API cannot be used: %s", EnvRequireStorageAPI, skip)
		}
		fmt.Fprintf(stderr, "bigquery_storage_skipped: %s; downloading results with the REST API\n", skip)
		if err := downloadREST(ctx, svc, project, job, w); err != nil {
			return err
		}
		return w.Flush()
	}

	err = downloadStorage(ctx, project, table, getenv, w)
	var se *storageError
	if errors.As(err, &se) {
		if ctx.Err() != nil { // interrupted: neither a fallback nor a Storage Read API failure
			return fail("Failed to download BigQuery results: %v", ctx.Err())
		}
		msg := oneLine(se.err.Error())
		if !iamShaped(se.err) {
			fmt.Fprintf(stderr, "bigquery_storage_fallback reason=%s: the BigQuery Storage Read API failed with a non-permission error; REST fallback skipped\n", reasonNonIAM)
			return fail("Failed to download BigQuery results: Storage Read API %s failed: %s; REST fallback skipped (only permission errors fall back to the REST API)", se.op, msg)
		}
		if strict {
			return fail("BigQuery Storage Read API permission denied (%s: %s); %s is set, so the REST fallback is not used. Grant %s on project %s (role roles/bigquery.readSessionUser)",
				se.op, msg, EnvRequireStorageAPI, readSessionPermission, project)
		}
		fmt.Fprintf(stderr, "bigquery_storage_fallback reason=%s: the BigQuery Storage Read API was denied (%s: %s); grant %s on project %s to use it; downloading results with the REST API\n",
			reasonAPIError, se.op, msg, readSessionPermission, project)
		err = downloadREST(ctx, svc, project, job, w)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// waitJob polls jobs.getQueryResults (without rows) until the job is done.
func waitJob(ctx context.Context, svc *bigquery.Service, project string, job *bigquery.JobReference) error {
	for {
		r, err := svc.Jobs.GetQueryResults(project, job.JobId).Location(job.Location).TimeoutMs(10000).MaxResults(0).
			Context(ctx).Do()
		if err != nil {
			return fail("BigQuery query execution failed: %v", err)
		}
		if len(r.Errors) > 0 {
			return fail("BigQuery query execution failed: %s", r.Errors[0].Message)
		}
		if r.JobComplete {
			return nil
		}
	}
}

// destinationTable returns the completed job's destination table as a
// Storage Read API resource name, or "" if the job has none.
func destinationTable(ctx context.Context, svc *bigquery.Service, project string, job *bigquery.JobReference) (string, error) {
	p := job.ProjectId
	if p == "" {
		p = project
	}
	j, err := svc.Jobs.Get(p, job.JobId).Location(job.Location).Context(ctx).Do()
	if err != nil {
		return "", fail("BigQuery query execution failed: %v", err)
	}
	if j.Status != nil && j.Status.ErrorResult != nil {
		return "", fail("BigQuery query execution failed: %s", j.Status.ErrorResult.Message)
	}
	if j.Configuration == nil || j.Configuration.Query == nil || j.Configuration.Query.DestinationTable == nil {
		return "", nil
	}
	t := j.Configuration.Query.DestinationTable
	if t.ProjectId == "" || t.DatasetId == "" || t.TableId == "" {
		return "", nil
	}
	return "projects/" + t.ProjectId + "/datasets/" + t.DatasetId + "/tables/" + t.TableId, nil
}

// truthy reports whether an environment value means "on".
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// oneLine joins a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
