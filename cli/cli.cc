#include "cli/cli.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "base/url.h"
#include "cli/flags.h"

namespace tagflow::cli {

namespace {

// Exports the keys of `--config FILE` (or $TAGFLOW_CONFIG) as TAGFLOW_*
// variables for the subcommand named in `args`, below the command line and
// the real environment in precedence.
bool ApplyConfig(CLI::App& app, const std::vector<std::string>& args, CliContext& ctx) {
  std::string path = FindConfigPath(args);
  if (path.empty()) return true;
  CLI::App* command = nullptr;
  for (size_t i = 1; i < args.size() && command == nullptr; ++i) {
    if (args[i].empty() || args[i][0] == '-') continue;
    try {
      command = app.get_subcommand(args[i]);
    } catch (const CLI::OptionNotFound&) {
      break;
    }
  }
  if (command == nullptr) return true;  // the parser reports the missing subcommand
  Result<void> applied = ApplyConfigFile(*command, path);
  if (!applied) {
    ctx.err << "error: " << applied.error().message << "\n";
    return false;
  }
  return true;
}

// A flag whose value is a secret, spelled right or not ("--webhok-secret").
bool IsSecretFlag(std::string_view flag) {
  if (!flag.starts_with("--")) return false;
  flag = flag.substr(0, flag.find('='));
  for (std::string_view word : {"secret", "token", "password", "passwd"}) {
    if (flag.find(word) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::string RedactUsageError(std::string text, const std::vector<std::string>& args) {
  auto replace_all = [&text](const std::string& what, const std::string& with) {
    if (what.size() < 2 || what == with) return;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + with.size())) {
      text.replace(at, what.size(), with);
    }
  };
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsSecretFlag(arg) && arg.find('=') != std::string::npos) {
      replace_all(arg.substr(arg.find('=') + 1), "***");
    } else if (IsSecretFlag(args[i - 1]) && args[i - 1].find('=') == std::string::npos) {
      replace_all(arg, "***");
    }
    // Any URL: its path may be the token (Slack, Teams, Discord hooks).
    for (size_t at = arg.find("://"); at != std::string::npos; at = std::string::npos) {
      size_t start = arg.rfind('=', at);
      std::string url = start == std::string::npos ? arg : arg.substr(start + 1);
      replace_all(url, RedactUrl(url, UrlRedaction::kCredentialsAndPath));
    }
  }
  return text;
}

int RunCli(CLI::App& app, const std::vector<std::string>& args, CliContext& ctx) {
  if (!ApplyConfig(app, args, ctx)) return kExitUsage;
  BindEnvironment(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();  // the program name
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    std::ostringstream err;
    int code = app.exit(e, ctx.out, err);
    ctx.err << RedactUsageError(err.str(), args);
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

}  // namespace tagflow::cli
