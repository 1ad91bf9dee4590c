// Signatures on tagflow's commits and sync tags, and checks of the
// signatures on the commits it acts on (--git-signing-key,
// --git-signing-format, --git-verify-signatures).
//
// A Signer turns a payload (the commit or tag object without signature)
// into an armored detached signature, exactly what `git commit -S` / `git
// tag -s` store: OpenPGP (gpg.format=openpgp) or SSHSIG with namespace
// "git" (gpg.format=ssh). A SignatureVerifier judges such a signature over
// its payload. Implementations: git/gpg.h (GPGME, a private keyring) and
// git/ssh_signing.h (ssh-keygen -Y). Keys and passphrases never appear in
// messages.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow::git {

enum class SigningFormat { kGpg, kSsh };

// "gpg" / "ssh" -> the format; kInvalidInput naming --git-signing-format.
[[nodiscard]] Result<SigningFormat> ParseSigningFormat(std::string_view text);

class Signer {
 public:
  virtual ~Signer() = default;
  // The armored detached signature of `payload`, ending in a newline.
  // kInvalidInput when the key cannot sign (gone, passphrase-protected),
  // kTransient when the signing program timed out.
  [[nodiscard]] virtual Result<std::string> Sign(std::string_view payload) = 0;
};

enum class SignatureStatus {
  kGood,        // valid, by a trusted key
  kUnsigned,    // no signature at all
  kUnknownKey,  // signed, but by a key not in the keyring / allowed signers
  kBad,         // the signature does not match the content (or is malformed, expired, revoked)
};

// "good", "unsigned", "unknown key", "bad signature".
std::string_view SignatureStatusName(SignatureStatus status);

struct SignatureVerdict {
  SignatureStatus status = SignatureStatus::kUnsigned;
  std::string signer;  // key fingerprint / principal when known
  std::string detail;  // one line, e.g. the verifier's reason; never a secret
};

class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  // Judges `signature` (armored, as stored in the object) over `payload`.
  // Never fails: a verifier that cannot run reports kBad with the reason.
  virtual SignatureVerdict Verify(std::string_view signature, std::string_view payload) = 0;
};

// What kind of signature `armored` is, from its first line.
enum class SignatureKind { kPgp, kSsh, kOther };
SignatureKind KindOf(std::string_view armored);

// Dispatches on KindOf to the verifier of that kind; a kind with no
// verifier (no --git-gpg-key-import keys, no --git-allowed-signers) is
// kUnknownKey. Borrows both (either may be null).
class AnySignatureVerifier final : public SignatureVerifier {
 public:
  AnySignatureVerifier(SignatureVerifier* gpg, SignatureVerifier* ssh) : gpg_(gpg), ssh_(ssh) {}
  SignatureVerdict Verify(std::string_view signature, std::string_view payload) override;

 private:
  SignatureVerifier* gpg_;
  SignatureVerifier* ssh_;
};

}  // namespace tagflow::git
