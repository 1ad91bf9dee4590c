#include "registry/image_lister.h"

#include <fmt/format.h>

#include <algorithm>

namespace tagflow::registry {

std::vector<ImageListing> ListImages(Scanner& scanner,
                                     const std::vector<ImageListRequest>& requests) {
  std::vector<ScanTarget> targets;
  targets.reserve(requests.size());
  for (const auto& r : requests) {
    ScanTarget t;
    t.image = r.image;
    t.filters.push_back(r.filter);
    if (!r.image.tag().empty()) t.wanted.push_back(r.image.tag());
    targets.push_back(std::move(t));
  }
  auto scans = scanner.Scan(targets);

  // Second pass for the tags shown whose time no filter needed: their
  // metadata, by the listing's own order (each fetched once, then cached).
  std::vector<ScanTarget> more;
  for (size_t i = 0; i < requests.size(); ++i) {
    const ImageListRequest& r = requests[i];
    auto it = scans.find(r.image.CanonicalName());
    if (r.shown == 0 || it == scans.end() || !it->second.tags) continue;
    std::vector<const TagMetadata*> order;
    for (const auto& t : *it->second.tags) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(), [&](const TagMetadata* a, const TagMetadata* b) {
      return r.filter.Newer(a->Info(), b->Info());
    });
    ScanTarget extra = targets[i];
    for (size_t k = 0; k < order.size() && k < r.shown; ++k) {
      if (!order[k]->created && order[k]->problem.empty()) extra.wanted.push_back(order[k]->tag);
    }
    if (extra.wanted.size() > targets[i].wanted.size()) more.push_back(std::move(extra));
  }
  if (!more.empty()) {
    for (auto& [name, scan] : scanner.Scan(more)) {
      if (scan.tags) scans[name] = std::move(scan);
    }
  }

  std::vector<ImageListing> listings;
  listings.reserve(requests.size());
  for (const auto& r : requests) {
    ImageListing listing;
    listing.image = r.image;
    auto it = scans.find(r.image.CanonicalName());
    if (it == scans.end() || !it->second.tags) {
      listing.error = it == scans.end() ? "not scanned" : it->second.tags.error().message;
      listings.push_back(std::move(listing));
      continue;
    }
    const auto& tags = *it->second.tags;
    size_t deferred =
        std::count_if(tags.begin(), tags.end(), [](const TagMetadata& t) { return t.deferred; });
    if (deferred > 0) {
      listing.error = fmt::format(
          "scan incomplete: metadata of {} tag(s) not fetched yet, continues next cycle", deferred);
    }
    std::vector<const TagMetadata*> order;
    order.reserve(tags.size());
    for (const auto& t : tags) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(), [&](const TagMetadata* a, const TagMetadata* b) {
      return r.filter.Newer(a->Info(), b->Info());
    });
    for (const TagMetadata* t : order) {
      ListedTag listed{t->tag, t->digest, t->created};
      if (t->tag == r.image.tag()) listing.current = listed;
      listing.available.push_back(std::move(listed));
    }
    std::vector<image::TagInfo> infos;
    infos.reserve(tags.size());
    for (const auto& t : tags) infos.push_back(t.Info());
    auto selected = r.filter.Select(infos);
    if (!selected.empty()) {
      auto best = std::find_if(tags.begin(), tags.end(),
                               [&](const TagMetadata& t) { return t.tag == selected.front().tag; });
      listing.latest_filtered = ListedTag{best->tag, best->digest, best->created};
    }
    listings.push_back(std::move(listing));
  }
  return listings;
}

}  // namespace tagflow::registry
