#include "cli/signing_flags.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tagflow::cli {

void AddSigningFlags(CLI::App& app, SigningFlags& f) {
  app.add_option("--git-signing-key", f.signing_key,
                 "Sign commits and the sync tag: a GPG key id (from --git-gpg-key-import), or "
                 "with --git-signing-format ssh a private key file");
  app.add_option("--git-signing-format", f.signing_format, "gpg or ssh")
      ->check(CLI::IsMember({"gpg", "ssh"}))
      ->capture_default_str();
  app.add_option("--git-gpg-key-import", f.gpg_key_import,
                 "GPG key files (or directories of them) for signing and verifying (repeatable)")
      ->delimiter(',');
  app.add_flag("--git-verify-signatures", f.verify_signatures,
               "Act only on a branch whose commits since the sync tag are signed by a trusted key");
  app.add_option("--git-verify-signatures-mode", f.verify_mode,
                 "all (every commit since the sync tag), first-parent, or none "
                 "(default: all with --git-verify-signatures)")
      ->check(CLI::IsMember({"all", "first-parent", "none"}));
  app.add_option("--git-allowed-signers", f.allowed_signers,
                 "git's allowed-signers file: the SSH keys trusted by --git-verify-signatures");
  app.add_flag("--respect-rollbacks", f.respect_rollbacks,
               "Hold a container that a person rolled back until a newer tag appears "
               "(--respect-rollbacks=false: off)")
      ->capture_default_str();
}

Result<Signing> OpenSigning(const SigningFlags& f, std::chrono::seconds timeout) {
  Signing out;
  auto format = git::ParseSigningFormat(f.signing_format);
  if (!format) return Fail(format.error());
  std::string mode = f.verify_mode;
  if (mode.empty()) mode = f.verify_signatures ? "all" : "none";
  auto verify_mode = git::ParseVerifyMode(mode);
  if (!verify_mode) return Fail(verify_mode.error());
  out.verify_mode = *verify_mode;

  if (!f.gpg_key_import.empty()) {
    std::vector<std::filesystem::path> paths(f.gpg_key_import.begin(), f.gpg_key_import.end());
    auto keyring = git::GpgKeyring::Open(paths);
    if (!keyring) return Fail(keyring.error());
    out.keyring = std::move(*keyring);
  }
  if (!f.allowed_signers.empty()) {
    auto ssh = git::SshVerifier::Open(f.allowed_signers, timeout);
    if (!ssh) return Fail(ssh.error());
    out.ssh_verifier = std::move(*ssh);
  }
  if (!f.signing_key.empty()) {
    if (*format == git::SigningFormat::kSsh) {
      auto signer = git::SshSigner::Open(f.signing_key, timeout);
      if (!signer) return Fail(signer.error());
      out.signer = std::move(*signer);
    } else {
      if (!out.keyring) {
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("--git-signing-key {}: a GPG key id needs its secret key in "
                                "--git-gpg-key-import (or give --git-signing-format ssh)",
                                f.signing_key));
      }
      // Sign a probe now: a missing or protected key is a start-up error.
      if (auto probe = out.keyring->Sign(f.signing_key, "tagflow signing check\n"); !probe) {
        return Fail(probe.error());
      }
      out.signer = std::make_shared<git::GpgSigner>(*out.keyring, f.signing_key);
    }
    spdlog::info("signing commits and tags format={}", f.signing_format);
  }
  if (out.verify_mode != git::VerifyMode::kNone) {
    if (!out.keyring && !out.ssh_verifier) {
      return Fail(ErrorKind::kInvalidInput,
                  "--git-verify-signatures needs trusted keys: --git-gpg-key-import (GPG) or "
                  "--git-allowed-signers (SSH)");
    }
    out.verifier =
        std::make_unique<git::AnySignatureVerifier>(out.keyring.get(), out.ssh_verifier.get());
  }
  return out;
}

}  // namespace tagflow::cli
