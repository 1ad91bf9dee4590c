#include "daemon/cli.h"

#include <algorithm>

#include "daemon/flags.h"

namespace tagflow {

int RunCli(CLI::App& app, const std::vector<std::string>& args, CliContext& ctx) {
  BindEnvironment(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();  // the program name
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, ctx.out, ctx.err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return ctx.exit_code;
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

void PrintProblems(const std::vector<manifest::Problem>& problems, std::ostream& err) {
  for (const manifest::Problem& p : problems) {
    if (p.severity == manifest::Severity::kNotice) continue;
    err << manifest::SeverityName(p.severity) << ": " << p.ToString() << "\n";
  }
}

}  // namespace tagflow
