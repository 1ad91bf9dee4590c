#include "cli/options.h"

#include "cli/flags.h"

namespace tagflow::cli {

void AddRegistryFlags(CLI::App& app, registry::RegistryOptions& o) {
  app.add_option("--registry-rps", o.rps, "Requests per second to one registry host (0: no limit)")
      ->capture_default_str();
  app.add_option("--registry-burst", o.burst, "Requests a registry host may get at once")
      ->capture_default_str();
  app.add_option("--registry-insecure-host", o.insecure_hosts,
                 "Registry host[:port] reached over plain HTTP or unverified TLS (repeatable)")
      ->delimiter(',');
  app.add_option("--registry-include-image", o.include_images,
                 "Only scan images whose canonical name matches this glob (repeatable)")
      ->delimiter(',');
  app.add_option("--registry-exclude-image", o.exclude_images,
                 "Never scan images whose canonical name matches this glob (repeatable)")
      ->delimiter(',');
  app.add_option("--registry-platform", o.platform,
                 "Platform entry of multi-arch images, os/arch[/variant]")
      ->capture_default_str();
  AddDurationOption(app, "--registry-timeout", &o.timeout, "Timeout of one registry request");
  app.add_option("--registry-concurrency", o.concurrency, "Repositories scanned at once")
      ->capture_default_str();
  app.add_option("--docker-config", o.docker_configs,
                 "Docker config.json with registry credentials: auths, credHelpers, credsStore "
                 "(repeatable; the first file naming a host wins)")
      ->delimiter(',');
  AddDurationOption(app, "--registry-credential-ttl", &o.credential_ttl,
                    "Ask credential helpers again after this (and after a 401)");
  o.cache_dir = registry::DefaultCacheDir();
  app.add_option("--cache-dir", o.cache_dir,
                 "Directory of the persistent image metadata cache (\"\": memory only)")
      ->capture_default_str();
  app.add_option("--cache-url", o.cache_url,
                 "redis://[:password@]host:port/db shared by many daemons: image metadata, tag "
                 "lists and the per-repository writer lease (\"\": the embedded cache only)");
  app.add_option("--cache-password-file", o.cache_password_file,
                 "File holding the password of --cache-url's Redis");
}

void AddGitFlags(CLI::App& app, git::GitOptions& o) {
  app.add_option("--git-url", o.url, "URL of the manifest repository");
  app.add_option("--git-branch", o.branch, "Branch to read and push")->capture_default_str();
  app.add_option("--git-user", o.user, "Name of the commit author and committer")
      ->capture_default_str();
  app.add_option("--git-email", o.email, "Email of the commit author and committer")
      ->capture_default_str();
  app.add_option("--git-ssh-key", o.ssh_key_path, "Private key for ssh:// and git@host: URLs");
  app.add_option("--git-known-hosts", o.known_hosts_path,
                 "known_hosts file the ssh host key must be in (required for ssh)");
  app.add_option("--git-password-file", o.password_file,
                 "File holding the password or token for http(s) URLs");
  app.add_option_function<std::string>(
         "--git-timeout",
         [&o](const std::string& text) {
           Result<std::chrono::milliseconds> d = ParseDuration(text);
           if (!d || d->count() <= 0)
             throw CLI::ValidationError("--git-timeout",
                                        d ? "must be positive" : d.error().message);
           o.timeout = std::chrono::duration_cast<std::chrono::seconds>(*d);
           if (o.timeout.count() == 0) o.timeout = std::chrono::seconds(1);
         },
         "Bound on every git network operation")
      ->default_str(FormatDuration(o.timeout));
}

void AddLogFlags(CLI::App& app, LogFlags& flags) {
  app.add_option("--log-format", flags.format, "text or json")->capture_default_str();
  app.add_option("--log-level", flags.level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
}

}  // namespace tagflow::cli
