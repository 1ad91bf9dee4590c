#include "test/support/gpg_key.h"

#include <stdexcept>

namespace tagflow::testing {

GpgTestKey::GpgTestKey(const std::string& name, const std::string& email)
    : home_(dir_.path() / "gnupg") {
  std::filesystem::create_directories(home_);
  std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
  std::string out;
  std::string uid = name + " <" + email + ">";
  if (RunShell(Env() + "gpg --batch --quiet --passphrase '' --quick-gen-key " + ShellQuote(uid) +
                   " ed25519 sign never",
               &out) != 0) {
    throw std::runtime_error("gpg --quick-gen-key failed: " + out);
  }
  if (RunShell(Env() + "gpg --batch --with-colons --list-secret-keys " + ShellQuote(email) +
                   " 2>/dev/null" + " | awk -F: '/^fpr/ {print $10; exit}'",
               &out) != 0) {
    throw std::runtime_error("gpg --list-secret-keys failed: " + out);
  }
  fingerprint_ = out.substr(0, out.find('\n'));
  if (fingerprint_.size() != 40) throw std::runtime_error("no fingerprint: " + out);
  if (RunShell(Env() +
                   "gpg --batch --armor --pinentry-mode loopback --passphrase '' "
                   "--export-secret-keys " +
                   fingerprint_ + " > " + ShellQuote(secret_key_file().string()) + " && " + Env() +
                   "gpg --batch --armor --export " + fingerprint_ + " > " +
                   ShellQuote(public_key_file().string()),
               &out) != 0) {
    throw std::runtime_error("gpg --export failed: " + out);
  }
}

GpgTestKey::~GpgTestKey() { RunShell(Env() + "gpgconf --kill all"); }

std::string GpgTestKey::Env() const { return "GNUPGHOME=" + ShellQuote(home_.string()) + " "; }

}  // namespace tagflow::testing
