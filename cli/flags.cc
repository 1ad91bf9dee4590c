#include "cli/flags.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>

namespace tagflow::cli {
namespace {

void BindRecursively(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const auto& names = opt->get_lnames();
    if (names.empty() || names.front() == "help" || names.front() == "version" ||
        names.front() == "config")
      continue;
    opt->envname(EnvName(names.front()));
  }
  for (CLI::App* sub : app.get_subcommands({})) BindRecursively(*sub);
}

bool IsLongOption(const CLI::App& app, const std::string& name) {
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames())
      if (l == name) return true;
  }
  return false;
}

}  // namespace

std::string EnvName(std::string_view long_flag) {
  while (!long_flag.empty() && long_flag.front() == '-') long_flag.remove_prefix(1);
  std::string out = "TAGFLOW_";
  for (char c : long_flag) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

void BindEnvironment(CLI::App& app) { BindRecursively(app); }

CLI::Option* AddDurationOption(CLI::App& app, const std::string& name,
                               std::chrono::milliseconds* target, const std::string& help) {
  CLI::Option* opt = app.add_option_function<std::string>(
      name,
      [target, name](const std::string& text) {
        Result<std::chrono::milliseconds> d = ParseDuration(text);
        if (!d) throw CLI::ValidationError(name, d.error().message);
        *target = *d;
      },
      help);
  opt->default_str(FormatDuration(*target));
  return opt;
}

Result<void> ApplyConfigFile(CLI::App& command, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("--config {}: cannot read the file", path));
  } catch (const YAML::Exception& e) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("--config {}: line {}, column {}: {}", path,
                                                      e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (root.IsNull()) return {};
  if (!root.IsMap())
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--config {}: expected a mapping of flag names to values", path));
  for (const auto& entry : root) {
    if (!entry.first.IsScalar())
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--config {}: keys must be flag names", path));
    std::string key = entry.first.Scalar();
    CLI::Option* option =
        IsLongOption(command, key) ? command.get_option_no_throw("--" + key) : nullptr;
    if (option == nullptr)
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--config {}: \"{}\" is not a flag of `tagflow {}`", path, key,
                              command.get_name()));
    std::string value;
    const YAML::Node& v = entry.second;
    if (v.IsSequence()) {
      for (const auto& item : v) {
        if (!item.IsScalar())
          return Fail(ErrorKind::kInvalidInput,
                      fmt::format("--config {}: \"{}\" must be a list of plain values", path, key));
        if (!value.empty()) value += ",";
        value += item.Scalar();
      }
    } else if (v.IsScalar()) {
      value = v.Scalar();
    } else if (v.IsNull()) {
      value = "";
    } else {
      return Fail(
          ErrorKind::kInvalidInput,
          fmt::format("--config {}: \"{}\" must be a value or a list of values", path, key));
    }
    try {
      option->run_callback_for_default();
      option->default_val(value);
    } catch (const CLI::Error& e) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--config {}: {}: {}", path, key, e.what()));
    }
  }
  return {};
}

std::string FindConfigPath(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
  }
  const char* env = std::getenv("TAGFLOW_CONFIG");
  return env ? env : "";
}

}  // namespace tagflow::cli
