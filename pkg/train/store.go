package train

import (
	"context"
	"io"

	"github.com/codelibs/recotem-go/pkg/uri"
)

// objectStore writes artifacts to object storage through pkg/uri. Object
// names are full URIs, so the versioned object of "s3://b/m.recotem" is
// "s3://b/m.<sha8>.recotem" beside it.
type objectStore struct{ s *uri.Store }

// WriteAtomic implements artifact.Store: the upload is published whole or
// not at all.
func (o objectStore) WriteAtomic(ctx context.Context, name string, r io.Reader, size int64) error {
	w, err := o.s.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}
