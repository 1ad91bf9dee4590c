#include "registry/oci.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/json.h"

namespace tagflow::registry {
namespace {

using nlohmann::json;

std::string StringField(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<TimePoint> KnownTime(std::string_view text) {
  auto t = ParseTimestamp(text);
  if (!t || IsZeroTime(*t)) return std::nullopt;
  return t;
}

}  // namespace

std::string ManifestAccept() {
  return fmt::format("{}, {}, {}, {}", kOciIndex, kOciManifest, kDockerManifestList,
                     kDockerManifest);
}

bool IsIndexType(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

Result<Platform> Platform::Parse(std::string_view text) {
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool ok = (parts.size() == 2 || parts.size() == 3);
  for (const auto& part : parts) ok = ok && !part.empty();
  if (!ok) {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("invalid platform \"{}\": want os/arch[/variant], e.g. linux/amd64", text));
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

std::string Platform::String() const {
  return variant.empty() ? fmt::format("{}/{}", os, architecture)
                         : fmt::format("{}/{}/{}", os, architecture, variant);
}

Result<Manifest> ParseManifest(std::string_view content_type, std::string_view body) {
  json doc = ParseJsonOrDiscarded(body);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(ErrorKind::kInvalidInput, "manifest is not a JSON object");
  }
  Manifest m;
  m.media_type = StringField(doc, "mediaType");
  if (m.media_type.empty()) {
    m.media_type = std::string(content_type.substr(0, content_type.find(';')));
    while (!m.media_type.empty() && m.media_type.back() == ' ') m.media_type.pop_back();
  }
  bool looks_like_index = doc.contains("manifests");
  bool looks_like_image = doc.contains("config");
  if (m.media_type == kOciIndex || m.media_type == kDockerManifestList ||
      (m.media_type != kOciManifest && m.media_type != kDockerManifest && looks_like_index)) {
    m.is_index = true;
    auto manifests = doc.find("manifests");
    if (manifests == doc.end() || !manifests->is_array()) {
      return Fail(ErrorKind::kInvalidInput, "image index has no manifests array");
    }
    for (const auto& entry : *manifests) {
      IndexEntry e;
      e.digest = StringField(entry, "digest");
      e.media_type = StringField(entry, "mediaType");
      if (entry.is_object() && entry.contains("platform")) {
        const json& p = entry["platform"];
        e.platform.os = StringField(p, "os");
        e.platform.architecture = StringField(p, "architecture");
        e.platform.variant = StringField(p, "variant");
      }
      if (e.digest.empty())
        return Fail(ErrorKind::kInvalidInput, "image index entry without digest");
      m.entries.push_back(std::move(e));
    }
    if (m.media_type.empty()) m.media_type = std::string(kOciIndex);
    return m;
  }
  if (m.media_type == kOciManifest || m.media_type == kDockerManifest || looks_like_image) {
    auto config = doc.find("config");
    m.config_digest = config == doc.end() ? "" : StringField(*config, "digest");
    if (m.config_digest.empty()) {
      return Fail(ErrorKind::kInvalidInput, "image manifest has no config digest");
    }
    if (m.media_type.empty()) m.media_type = std::string(kOciManifest);
    return m;
  }
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("unsupported manifest type \"{}\"",
                          m.media_type.empty() ? "unknown" : m.media_type));
}

const IndexEntry* SelectPlatform(const Manifest& index, const Platform& wanted) {
  const IndexEntry* best = nullptr;
  for (const auto& e : index.entries) {
    if (e.platform.os != wanted.os || e.platform.architecture != wanted.architecture) continue;
    if (!wanted.variant.empty()) {
      bool same =
          e.platform.variant == wanted.variant ||
          (wanted.architecture == "arm64" && wanted.variant == "v8" && e.platform.variant.empty());
      if (same) return &e;
      continue;
    }
    if (e.platform.variant.empty()) return &e;
    bool plain_arm64 = e.platform.architecture == "arm64" && e.platform.variant == "v8";
    if (best == nullptr || plain_arm64) best = &e;
  }
  return best;
}

Result<ImageConfig> ParseImageConfig(std::string_view body) {
  json doc = ParseJsonOrDiscarded(body);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(ErrorKind::kInvalidInput, "image config is not a JSON object");
  }
  ImageConfig config;
  config.created = KnownTime(StringField(doc, "created"));
  auto inner = doc.find("config");
  if (inner != doc.end() && inner->is_object()) {
    auto labels = inner->find("Labels");
    if (labels != inner->end() && labels->is_object()) {
      for (const auto& [key, value] : labels->items()) {
        if (value.is_string()) config.labels[key] = value.get<std::string>();
      }
    }
  }
  return config;
}

std::optional<TimePoint> CreationTime(const ImageConfig& config) {
  if (config.created) return config.created;
  for (const char* label : {"org.opencontainers.image.created", "org.label-schema.build-date"}) {
    auto it = config.labels.find(label);
    if (it == config.labels.end()) continue;
    if (auto t = KnownTime(it->second)) return t;
  }
  return std::nullopt;
}

}  // namespace tagflow::registry
