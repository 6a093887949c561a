// Package recipe loads, validates and hashes recipe files, and generates
// their JSON Schema.
//
// A recipe is one YAML file: one data source, one model, one recommendation
// API. Load runs the reference loader's pipeline in its order
// (recipe-and-cli.md §1.1): directory containment, UTF-8, YAML, top-level
// mapping, source-type lookup and ${RECOTEM_RECIPE_*} expansion, name,
// path policy, source validation, whole-recipe validation, integrity pins,
// RECOTEM_ARTIFACT_ROOT containment. The first failing step wins; every
// failure is an *Error carrying exit code 2, whose text reads
//
//	Recipe '<path>' failed validation:
//	  - <dotted.field>: <message> (line N)
//
// YAML is decoded with YAML 1.1 scalar resolution as PyYAML's safe_load
// does it (yes/no/on/off are booleans, 2026-01-01 is a date, 1_000 is an
// integer, 1e5 is a string), then coerced with the reference's lax rules
// (an int field accepts 40.0, "40" and " 40 "; a string field accepts only
// strings). Every mapping rejects unknown keys.
//
// Deliberate deviations from the reference (codelibs/recotem @ eaa4256):
//
//   - Duplicate mapping keys are rejected with the line number; the
//     reference silently keeps the last value.
//   - An algorithm name in training.algorithms that does not resolve to one
//     of the seven classes fails at load (exit 2) instead of at train time
//     (exit 4, unknown_algorithm).
//   - The JSON Schema marks training as required, as the loader does; the
//     reference schema marks it optional.
//   - training.params (pinned hyperparameters) is a recotem-go extension; it
//     is left out of the recipe hash when empty, so recipes without it hash
//     exactly as in the reference.
//   - A YAML date that does not exist (2026-02-30) and the !!binary tag are
//     parse errors (exit 2); PyYAML raises a non-YAML exception (exit 1) or
//     produces bytes.
//   - When RECOTEM_ARTIFACT_ROOT is set and the output file already exists
//     as a symlink, its target must lie inside the root too (the reference
//     checks only the parent at load time; it checks both at write time).
package recipe
