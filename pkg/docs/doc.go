// Package docs holds no code: its tests check the project's Markdown
// documentation (README.md, docs/, contrib/ and examples/): every relative
// link must resolve to an existing file and, for a #fragment into a
// Markdown file, to one of its headings; and docs/README.md must link every
// page in docs/.
package docs
