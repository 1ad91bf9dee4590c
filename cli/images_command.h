// `tagflow list-images` (DESIGN.md §6) and the data behind it, shared with
// GET /api/v1/images: for each container, the tags of its image repository,
// newest first under the container's filter, in fluxctl's table layout or
// JSON field names.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "manifest/workload.h"
#include "registry/image_lister.h"
#include "registry/scanner.h"

namespace tagflow::cli {

// The table of `list-images` from that JSON (so a daemon's /api/v1/images
// renders the same): `WORKLOAD CONTAINER IMAGE CREATED`, then per tag
// `'->` on the current one, `|` above it, `*` after the tag the policy picks,
// and `:   (N image(s) omitted)` past `limit` tags (0 = all); the current tag
// is always shown.
std::string ImagesTable(const nlohmann::json& images, int limit, bool headers);

void AddImageCommands(CLI::App& app, CliContext& ctx);

}  // namespace tagflow::cli
