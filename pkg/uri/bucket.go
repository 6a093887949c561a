package uri

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
	"gocloud.dev/gcp"
)

// OpenBucket opens the bucket or container of an object-store location with
// credentials from the standard environment of its cloud:
//
//   - s3://bucket/key: the AWS SDK default chain (AWS_ACCESS_KEY_ID /
//     AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE and shared files,
//     web identity, container and instance roles). Region from AWS_REGION or
//     the profile, else us-east-1. An endpoint set in AWS_ENDPOINT_URL_S3 or
//     AWS_ENDPOINT_URL (an S3-compatible server such as MinIO) switches to
//     path-style addressing, which every such server accepts.
//   - gs://[project@]bucket/key: Application Default Credentials
//     (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, the metadata
//     server). STORAGE_EMULATOR_HOST (host:port) points at an emulator
//     without credentials.
//   - az://container/key, abfs[s]://container/key: AZURE_STORAGE_ACCOUNT with
//     AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or
//     AZURE_STORAGE_CONNECTION_STRING, else DefaultAzureCredential (service
//     principal env, workload or managed identity, az login). AZURE_STORAGE_DOMAIN
//     and AZURE_STORAGE_PROTOCOL reach an emulator such as Azurite.
//     abfs[s]://container@account.dfs.core.windows.net/key names the account
//     in the URI (the recipe path policy refuses that form, as the reference does).
//
// Query parameters are never taken from the location: a recipe cannot
// redirect signed requests to another endpoint. Missing credentials give an
// error that Is ErrNoCredentials.
func OpenBucket(ctx context.Context, loc Location) (*blob.Bucket, error) {
	switch loc.Scheme {
	case "s3":
		return openS3(ctx, loc)
	case "gs":
		return openGCS(ctx, loc)
	case "az", "abfs", "abfss":
		return openAzure(ctx, loc)
	}
	return nil, fmt.Errorf("not an object-store location")
}

func openS3(ctx context.Context, loc Location) (*blob.Bucket, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &credentialError{msg: "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with an IAM role"}
	}
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if custom {
			o.UsePathStyle = true
		}
	})
	return s3blob.OpenBucket(ctx, client, loc.Bucket, nil)
}

func openGCS(ctx context.Context, loc Location) (*blob.Bucket, error) {
	if os.Getenv("STORAGE_EMULATOR_HOST") != "" {
		return gcsblob.OpenBucket(ctx, gcp.NewAnonymousHTTPClient(gcp.DefaultTransport()), loc.Bucket, nil)
	}
	creds, err := gcp.DefaultCredentials(ctx)
	if err != nil {
		return nil, &credentialError{msg: "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS or run 'gcloud auth application-default login'"}
	}
	client, err := gcp.NewHTTPClient(gcp.DefaultTransport(), gcp.CredentialsTokenSource(creds))
	if err != nil {
		return nil, err
	}
	return gcsblob.OpenBucket(ctx, client, loc.Bucket, nil)
}

func openAzure(ctx context.Context, loc Location) (*blob.Bucket, error) {
	opts := azureblob.NewDefaultServiceURLOptions()
	if loc.Account != "" {
		opts.AccountName = loc.Account
		// The Data Lake (dfs) host serves the same account as the blob host.
		if _, domain, ok := strings.Cut(loc.AccountHost, "."); ok && domain != "" {
			opts.StorageDomain = strings.Replace(domain, "dfs.", "blob.", 1)
		}
	}
	if opts.AccountName == "" {
		return nil, &credentialError{msg: "no Azure storage account: set AZURE_STORAGE_ACCOUNT (with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or an Azure identity) or AZURE_STORAGE_CONNECTION_STRING"}
	}
	svcURL, err := azureblob.NewServiceURL(opts)
	if err != nil {
		return nil, err
	}
	client, err := azureblob.NewDefaultClient(svcURL, azureblob.ContainerName(loc.Bucket))
	if err != nil {
		if strings.Contains(err.Error(), "DefaultAzureCredential") {
			return nil, &credentialError{msg: "no Azure credentials found: set AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING or an Azure identity (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, managed identity, az login)"}
		}
		return nil, err
	}
	return azureblob.OpenBucket(ctx, client, nil)
}

// causeError is a normalised cause: a short message that Is a sentinel.
type causeError struct {
	msg    string
	target error
}

func (e *causeError) Error() string        { return e.msg }
func (e *causeError) Is(target error) bool { return target == e.target }

// bucketErr normalises an error of a bucket operation by its portable code.
func bucketErr(b *blob.Bucket, err error) error {
	detail := oneLine(err.Error())
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return &causeError{msg: "not found", target: fs.ErrNotExist}
	case gcerrors.PermissionDenied:
		if isAzureCredentialFailure(detail) {
			return &credentialError{msg: "no usable Azure credentials: " + detail}
		}
		return &causeError{msg: "permission denied: " + detail, target: fs.ErrPermission}
	case gcerrors.FailedPrecondition:
		return &causeError{msg: "already exists", target: fs.ErrExist}
	}
	if isAzureCredentialFailure(detail) {
		return &credentialError{msg: "no usable Azure credentials: " + detail}
	}
	return err
}

func isAzureCredentialFailure(msg string) bool {
	return strings.Contains(msg, "DefaultAzureCredential") || strings.Contains(msg, "ChainedTokenCredential")
}

// normalize strips the path from a local *fs.PathError (the location is
// named by Error already) and leaves other errors alone.
func normalize(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
