package serve

import (
	"context"
	"strings"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// isRemote reports whether an output path names an object store.
func isRemote(p string) bool {
	i := strings.Index(p, "://")
	return i > 0 && !strings.EqualFold(p[:i], "file")
}

// OpenArtifact opens the artifact at a recipe's output path: local paths
// (and file:// URIs) are memory-mapped unless opt.NoMmap; object-store
// URIs (s3, gs, az, abfs, abfss) are read through store with the artifact
// cap (artifact.ReadURI resolves a pointer object).
func OpenArtifact(ctx context.Context, store *uri.Store, p string, opt artifact.Options) (*artifact.Artifact, error) {
	if !isRemote(p) {
		return artifact.Open(localPath(p), opt)
	}
	limit := opt.Caps.Artifact
	if limit <= 0 {
		limit = artifact.DefaultArtifactCap
	}
	b, err := artifact.ReadURI(p, limit, func(u string, max int64) ([]byte, error) { return store.ReadAll(ctx, u, max) })
	if err != nil {
		return nil, err
	}
	return artifact.OpenBytes(b, opt)
}

// objectMarker returns the change marker of an object-store artifact: the
// pointer object's marker, plus its target's when it is a pointer.
func objectMarker(ctx context.Context, store *uri.Store, p string) (string, error) {
	info, err := store.Stat(ctx, p)
	if err != nil {
		return "", err
	}
	m := info.Marker
	if info.Size >= 0 && info.Size <= artifact.MaxPointerLen {
		b, err := store.ReadAll(ctx, p, artifact.MaxPointerLen)
		if err != nil {
			return "", err
		}
		if target, ok := artifact.ParsePointer(b); ok {
			t, err := store.Stat(ctx, sibling(p, target))
			if err != nil {
				return "", err
			}
			m += "|" + target + "|" + t.Marker
		}
	}
	return m, nil
}

// sibling returns the URI of name in the same prefix as u.
func sibling(u, name string) string {
	return u[:strings.LastIndexByte(u, '/')+1] + name
}
