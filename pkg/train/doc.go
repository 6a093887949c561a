// Package train orchestrates `recotem train`: lock, fetch, cleanse, split,
// hyperparameter search, refit of the best configuration on all data, and
// the signed artifact write, with progress reporting and a study that can
// be resumed or shared between hosts.
package train
