// Package recipe loads, validates and hashes recipe files.
package recipe
