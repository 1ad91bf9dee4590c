// OpenPGP signing and verification through GPGME, in a private keyring.
//
// Each GpgKeyring owns its own GnuPG home: a fresh `tagflow-gnupg-<pid>-XXXXXX`
// directory (mode 0700) under $TMPDIR (default /tmp), holding only the keys
// of --git-gpg-key-import. The user's ~/.gnupg and $GNUPGHOME are never
// read or written, and the ownertrust of imported keys does not matter:
// importing a key is trusting it (as Flux v1 did). On destruction the home's
// gpg-agent is stopped (`gpgconf --kill all`) and the directory removed; a
// home left by a killed process is removed at the next start (its agent
// exits by itself when its socket disappears).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "git/signing.h"

namespace tagflow::git {

class GpgKeyring final : public SignatureVerifier {
 public:
  // Creates the private home and imports every key of `imports`: each path
  // is a key file (armored or binary, public or secret keys), or a
  // directory whose regular files (not recursively, symlinks to files
  // followed) are imported. kInvalidInput naming --git-gpg-key-import and
  // the path when a path cannot be read or a file holds no key;
  // kInternal when GPGME or gpg is unusable.
  [[nodiscard]] static Result<std::unique_ptr<GpgKeyring>> Open(
      const std::vector<std::filesystem::path>& imports);
  ~GpgKeyring() override;
  GpgKeyring(const GpgKeyring&) = delete;
  GpgKeyring& operator=(const GpgKeyring&) = delete;

  // A detached armored signature of `payload` by the secret key `key_id`
  // (fingerprint, long or short id). kInvalidInput when there is no usable
  // secret key of that id (protected by a passphrase, expired, revoked).
  // Thread-safe.
  [[nodiscard]] Result<std::string> Sign(const std::string& key_id, std::string_view payload);

  // SignatureVerifier: kGood when a key of the keyring made a valid
  // signature; kUnknownKey when the key is not in it; kBad otherwise
  // (mismatch, expired or revoked key or signature, garbage). Thread-safe.
  SignatureVerdict Verify(std::string_view signature, std::string_view payload) override;

  const std::filesystem::path& home() const { return home_; }
  // Fingerprints of the public keys in the keyring.
  std::vector<std::string> Fingerprints();

 private:
  explicit GpgKeyring(std::filesystem::path home) : home_(std::move(home)) {}
  Result<void> Import(const std::filesystem::path& file);

  std::filesystem::path home_;
  std::mutex mu_;  // one GPGME operation at a time in this home
};

// Signs with one key of a GpgKeyring (borrowed).
class GpgSigner final : public Signer {
 public:
  GpgSigner(GpgKeyring& keyring, std::string key_id)
      : keyring_(keyring), key_id_(std::move(key_id)) {}
  Result<std::string> Sign(std::string_view payload) override {
    return keyring_.Sign(key_id_, payload);
  }

 private:
  GpgKeyring& keyring_;
  std::string key_id_;
};

// Removes the `tagflow-gnupg-<pid>-*` homes in `temp_dir` whose process is
// gone. Returns how many were removed.
size_t RemoveStaleGpgHomes(const std::filesystem::path& temp_dir);

}  // namespace tagflow::git
