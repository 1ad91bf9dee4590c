// Internal to the scan: the shared state and helpers of one file's
// extraction, used by extract.cc (pod specs), helm_release.cc and the
// rewrite (document by document).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "manifest/extract.h"

namespace tagflow::manifest::internal {

// A key written twice in one mapping the extraction reads: kubectl and Go
// read the last one, yaml-cpp lookups the first, so the document is an error.
struct DuplicateKey {
  std::string key;
  const YamlNode* first = nullptr;
  const YamlNode* second = nullptr;
};

struct Extraction {
  std::string_view file;
  std::string_view content;
  FileScan& out;
  // Problems of the document being read; the caller merges them into `out`
  // when the document is done (or drops them with the document).
  std::vector<Problem> problems = {};
  // The first duplicate key met in the current document, if any.
  std::optional<DuplicateKey> duplicate = std::nullopt;

  void Report(Severity severity, int line, int column, std::string message);
  // At a node's position.
  void Report(Severity severity, const YamlNode& at, std::string message);

  // The key node of `key` in mapping `map` (aliases resolved), or nullptr
  // when absent. A key written twice is recorded in `duplicate`, and then
  // every lookup answers nullptr: nothing is read from a guess.
  const YamlNode* KeyNode(const YamlNode& map, std::string_view key);
  // The value of `key` (resolved), or nullptr; duplicates as KeyNode.
  const YamlNode* Get(const YamlNode& map, std::string_view key);
  // The value of `key` when it is a scalar, or nullptr; duplicates as KeyNode.
  const std::string* GetString(const YamlNode& map, std::string_view key);
  // Records a duplicate found by the caller (the first one wins).
  void Duplicate(const YamlNode& first, const YamlNode& second);

  // The location of image scalar `raw` (possibly an alias, then not
  // editable). Reports a warning and returns nullopt when the value is not a
  // usable string (a map, a list, null, a number or bool for a whole image).
  std::optional<ValueLocation> ImageScalar(const YamlNode& raw, ImageField field,
                                           std::string_view workload, std::string_view container);

  // Parses `text` and adds container `name` to `w`; reports a warning and
  // adds nothing when the image is invalid. A second container of the same
  // name replaces the first when `replace`, else it is reported and dropped.
  // Call StartWorkload() before the first container of each workload.
  void AddContainer(Workload& w, std::string_view name, const std::string& text,
                    std::vector<ValueLocation> sources, const YamlNode& at, bool replace = false);
  void StartWorkload() { containers.clear(); }

  // The current workload's containers by name: index into Workload::containers.
  std::unordered_map<std::string, std::size_t> containers = {};
};

// Adds the containers of a HelmRelease (see extract.h) to `w`.
void HelmReleaseContainers(Extraction& ex, const YamlNode& object, Workload& w);

// True when `file` is named like a kustomization: kustomization.yaml,
// kustomization.yml or Kustomization.
bool IsKustomizationFile(std::string_view file);

// True when `object`, a document of a kustomization file, is the
// Kustomization itself: no kind, or kind Kustomization with no apiVersion or
// one of kustomize.config.k8s.io.
bool IsKustomization(Extraction& ex, const YamlNode& object);

// The name of a kustomization without metadata.name: the directory of
// `file` relative to the repository root ("." at the root).
std::string KustomizationDirectory(std::string_view file);

// Adds the `images:` entries of a Kustomization to `w`: container `<name
// after its last '/'>`, image `newName` else `name`, with `:newTag` and
// `@digest` when present. Two entries with the same container name are one
// kError problem naming both; neither is added.
void KustomizationImages(Extraction& ex, const YamlNode& object, Workload& w);

// Reads the documents of one file, in order, into `out`: ScanText, and the
// rewrite, which plans each document's edits while it holds its tree.
class DocumentExtractor {
 public:
  DocumentExtractor(std::string_view file, std::string_view content, FileScan& out)
      : ex_{file, content, out} {}

  // Forgets every document read so far (`out` is cleared).
  void Reset();

  // After the last document: a Flux v2 marker on a line where no document
  // has a scalar value is reported (a warning).
  void Finish();

  // Adds the workloads and problems of `doc`, the document number `index`.
  // A duplicate key on the way to an image or an annotation makes the whole
  // document one kError problem: its workloads and other problems are
  // dropped. The same message as an earlier problem only counts in it.
  void Document(const YamlDocument& doc, std::size_t index);

 private:
  void Read(const YamlDocument& doc, std::size_t index);
  void Merge(Problem p);
  void Object(const YamlNode& object, std::size_t document, int item);
  // The workload's id, metadata and policies; without metadata.name, named
  // `fallback_name` when not empty, else reported and skipped.
  std::optional<Workload> Header(const YamlNode& object, const std::string& kind,
                                 const std::string& fallback_name = {});
  void PodContainers(const YamlNode& spec, Workload& w);
  // Flux v2 (flux_v2.h): an ImageRepository or ImagePolicy document.
  void FluxObject(const YamlNode& object, const std::string& kind);
  // The marker targets of document `index` (flux_v2.h).
  void Markers(const YamlNode& root, std::size_t index);

  Extraction ex_;
  // Flux v2 markers of the file by 0-based line, found on the first document;
  // a malformed one holds its error. `matched_` lines have a target.
  bool markers_read_ = false;
  std::map<int, Result<Marker>> markers_;
  std::set<int> matched_;
  std::string subject_;                                  // the workload being read, for messages
  std::unordered_map<std::string, std::size_t> merged_;  // severity + message -> problem
};

}  // namespace tagflow::manifest::internal
