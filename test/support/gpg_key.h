// A GnuPG home for tests with one freshly generated signing key (ed25519,
// no passphrase), as a developer would have: for signing and checking with
// the real `gpg` and `git verify-commit` / `git verify-tag`.
#pragma once

#include <filesystem>
#include <string>

#include "test/support/process.h"

namespace tagflow::testing {

class GpgTestKey {
 public:
  // Generates the key for "<name> <email>" in a new home (throws on failure).
  GpgTestKey(const std::string& name, const std::string& email);
  ~GpgTestKey();  // stops the home's gpg-agent
  GpgTestKey(const GpgTestKey&) = delete;
  GpgTestKey& operator=(const GpgTestKey&) = delete;

  const std::filesystem::path& home() const { return home_; }  // GNUPGHOME
  const std::string& fingerprint() const { return fingerprint_; }
  // Armored exports, written at construction.
  std::filesystem::path secret_key_file() const { return dir_.path() / "secret.asc"; }
  std::filesystem::path public_key_file() const { return dir_.path() / "public.asc"; }
  // "GNUPGHOME=<home> " to put before one command (not a chain of them).
  std::string Env() const;

 private:
  TempDir dir_;
  std::filesystem::path home_;
  std::string fingerprint_;
};

}  // namespace tagflow::testing
