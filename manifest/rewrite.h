// The byte-exact rewrite (DESIGN.md §4): new file contents from old ones.
//
// Pure: takes the text of one manifest file and returns the edited text. An
// image edit replaces the bytes of one scalar (the tag field of a split
// HelmRelease image, otherwise the whole image value) and keeps its quoting;
// on a kustomization `images:` entry it sets `newTag` (and `digest`) as
// `kustomize edit set image` does, adding a missing key (kustomize_edit.h).
// A Flux v2 marker's container (`<ns>:imagepolicy/<name>`, container
// `<file>:<line>`, flux_v2.h) is the marked scalar: the whole reference, or
// the tag alone for a `:tag` marker (whose repository is not in the file).
// A policy edit adds, changes or removes one annotation: a changed value is
// edited in place, a new annotation is appended after the last one with the
// same indentation (or inside a flow map `{...}`), a removed one loses its
// line(s); `annotations:` is created at the end of `metadata` with the
// file's own indentation when missing, and removed again when its last
// annotation goes. Everything else -- comments, key order, indentation,
// `---`/`...` markers, CRLF, a BOM, other documents -- stays byte-identical.
//
// After editing, the result is parsed again and compared with the original
// tree plus the intended changes; any other difference refuses the edit.
//
// Cost: linear in the file plus the edits, however many edits one file or
// one workload gets: one parse that extracts and plans document by document,
// one splice pass, one verifying parse; lookups are indexed. Memory: the
// old and new text, a compact encoding of each document's expected tree
// (EncodeTree), and one document's tree at a time -- never the whole file's.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "image/reference.h"

namespace tagflow::manifest {

// Points container `container` of `workload` at `image`: same repository,
// new tag (and digest). The written form of the rest is kept.
struct ImageEdit {
  std::string workload;  // "ns:kind/name"
  std::string container;
  image::ImageRef image;
};

// Sets policy `policy` ("automated", "locked_msg", "tag.app") of `workload`
// to `value`, or removes it when `value` is nullopt. Existing spellings of
// the policy (fluxcd.io/, flux.weave.works/, filter.fluxcd.io/) are edited in
// place or all removed; a new one is written `fluxcd.io/<policy>: "<value>"`.
struct PolicyEdit {
  std::string workload;
  std::string policy;
  std::optional<std::string> value;
};

using Edit = std::variant<ImageEdit, PolicyEdit>;

// Applies `edits` to `content`, the text of manifest file `file` (used in
// messages), and returns the new text; the same text when the edits change
// nothing. Errors (nothing is returned):
//  - kNotFound: a workload or container is not in this file;
//  - kInvalidInput: the file does not parse, a workload is defined twice in
//    it, a value cannot be edited in place (tag, anchor, alias, block
//    scalar, multi-line value: the message says which and where), or an
//    image edit would change the repository;
//  - kInternal: the edited text would differ in more than the intended
//    values (a bug; the message names the file).
// Two image edits of the same container: the last one counts. Two of one
// scalar shared by two containers (HelmRelease mappings) with different
// values: kInvalidInput.
[[nodiscard]] Result<std::string> RewriteManifest(std::string_view file, std::string_view content,
                                                  std::span<const Edit> edits);

// What RewriteEachEdit made of the edits.
struct RewriteOutcome {
  std::string text;  // the new contents (the same text when nothing changed)
  // Per edit, in the order given: why it was left out, or nullopt.
  std::vector<std::optional<Error>> refused;
};

// RewriteManifest where an edit that cannot be planned (its workload or
// container is not there or is defined twice, its value cannot be edited in
// place, another repository) is left out with its reason and the others are
// applied together, verified once. Policy edits of one workload are planned
// together; when that fails, each is tried on its own and those that fail
// alone are left out. Errors for the whole file only: it does not parse
// (kInvalidInput) or the combined result fails verification (kInternal,
// a bug: the caller may retry with fewer edits to find the one at fault).
[[nodiscard]] Result<RewriteOutcome> RewriteEachEdit(std::string_view file,
                                                     std::string_view content,
                                                     std::span<const Edit> edits);

}  // namespace tagflow::manifest
