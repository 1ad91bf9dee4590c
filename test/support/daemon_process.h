// A `tagflow daemon` started by a test or benchmark, and what they read of
// it over its --listen port: a page, one Prometheus series.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>

#include "test/support/process.h"

namespace tagflow::testing {

struct DaemonProcess {
  std::unique_ptr<Subprocess> proc;
  int port = 0;

  // The body of GET `path`, "" when the daemon does not answer.
  std::string Get(const std::string& path) const {
    httplib::Client http("127.0.0.1", port);
    http.set_connection_timeout(std::chrono::seconds(2));
    auto res = http.Get(path);
    return res ? res->body : "";
  }
  // The value of `series` (name and labels as written) in /metrics; -1 when absent.
  double Metric(const std::string& series) const {
    std::istringstream in(Get("/metrics"));
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }
};

}  // namespace tagflow::testing
