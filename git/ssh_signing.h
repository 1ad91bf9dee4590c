// SSH signatures as git makes them with gpg.format=ssh: SSHSIG, namespace
// "git", through `ssh-keygen -Y` (OpenSSH 8.2+), run without a shell and
// with a deadline (base/subprocess.h).
//
//   sign:   ssh-keygen -Y sign -n git -f KEY            (payload on stdin)
//   verify: ssh-keygen -Y find-principals -s SIG -f ALLOWED
//           ssh-keygen -Y verify -f ALLOWED -I PRINCIPAL -n git -s SIG   (payload on stdin)
//
// The private key must not be protected by a passphrase (no one is there
// to type it); the allowed-signers file has git's gpg.ssh.allowedSignersFile
// format.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "base/error.h"
#include "git/signing.h"

namespace tagflow::git {

class SshSigner final : public Signer {
 public:
  // Checks that `key` (--git-signing-key with --git-signing-format ssh) is a
  // readable private key that ssh-keygen can sign with, by signing a probe.
  // kInvalidInput naming the flag and the file otherwise.
  [[nodiscard]] static Result<std::unique_ptr<SshSigner>> Open(const std::filesystem::path& key,
                                                               std::chrono::seconds timeout);
  Result<std::string> Sign(std::string_view payload) override;

 private:
  SshSigner(std::filesystem::path key, std::chrono::seconds timeout)
      : key_(std::move(key)), timeout_(timeout) {}
  std::filesystem::path key_;
  std::chrono::seconds timeout_;
};

class SshVerifier final : public SignatureVerifier {
 public:
  // `allowed_signers` (--git-allowed-signers) must be readable and hold at
  // least one entry; kInvalidInput naming the flag otherwise.
  [[nodiscard]] static Result<std::unique_ptr<SshVerifier>> Open(
      const std::filesystem::path& allowed_signers, std::chrono::seconds timeout);
  ~SshVerifier() override;
  // kGood with the principal as signer; kUnknownKey when no principal of
  // the file has the signing key; kBad when ssh-keygen rejects the signature.
  SignatureVerdict Verify(std::string_view signature, std::string_view payload) override;

 private:
  SshVerifier(std::filesystem::path allowed, std::filesystem::path scratch,
              std::chrono::seconds timeout)
      : allowed_(std::move(allowed)), scratch_(std::move(scratch)), timeout_(timeout) {}
  std::filesystem::path allowed_;
  std::filesystem::path scratch_;  // private dir for the signature file
  std::chrono::seconds timeout_;
};

}  // namespace tagflow::git
