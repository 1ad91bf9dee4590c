// The daemon's flags for signed commits, verified heads and rollbacks
// (issue 13, DESIGN.md §6): --git-signing-key, --git-signing-format,
// --git-gpg-key-import, --git-verify-signatures,
// --git-verify-signatures-mode, --git-allowed-signers, --respect-rollbacks;
// and what they open at start (a private GnuPG keyring, an ssh-keygen
// signer, the verifiers). A bad key or file is a usage error naming the
// flag.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "git/gpg.h"
#include "git/signing.h"
#include "git/ssh_signing.h"
#include "git/verify.h"

namespace tagflow::cli {

struct SigningFlags {
  std::string signing_key;  // GPG key id, or an ssh private key file with format ssh
  std::string signing_format = "gpg";
  std::vector<std::string> gpg_key_import;  // files or directories
  bool verify_signatures = false;
  std::string verify_mode;  // "" = all when verify_signatures, else none
  std::string allowed_signers;
  bool respect_rollbacks = true;
};

void AddSigningFlags(CLI::App& app, SigningFlags& flags);

// What the flags open, owned for the daemon's life.
struct Signing {
  std::shared_ptr<git::GpgKeyring> keyring;        // with --git-gpg-key-import
  std::unique_ptr<git::SshVerifier> ssh_verifier;  // with --git-allowed-signers
  std::shared_ptr<git::Signer> signer;             // with --git-signing-key
  std::unique_ptr<git::AnySignatureVerifier> verifier;
  git::VerifyMode verify_mode = git::VerifyMode::kNone;
};

// Checks the flags and opens what they name (imports keys, signs a probe).
// kInvalidInput naming the flag for anything wrong.
[[nodiscard]] Result<Signing> OpenSigning(const SigningFlags& flags, std::chrono::seconds timeout);

}  // namespace tagflow::cli
