#include "registry/image_lister.h"

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
