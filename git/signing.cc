#include "git/signing.h"

#include <fmt/format.h>

namespace tagflow::git {

Result<SigningFormat> ParseSigningFormat(std::string_view text) {
  if (text == "gpg" || text == "openpgp") return SigningFormat::kGpg;
  if (text == "ssh") return SigningFormat::kSsh;
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("--git-signing-format \"{}\": must be gpg or ssh", text));
}

std::string_view SignatureStatusName(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kGood:
      return "good";
    case SignatureStatus::kUnsigned:
      return "unsigned";
    case SignatureStatus::kUnknownKey:
      return "unknown key";
    case SignatureStatus::kBad:
      return "bad signature";
  }
  return "bad signature";
}

SignatureKind KindOf(std::string_view armored) {
  if (armored.starts_with("-----BEGIN PGP SIGNATURE-----")) return SignatureKind::kPgp;
  if (armored.starts_with("-----BEGIN SSH SIGNATURE-----")) return SignatureKind::kSsh;
  return SignatureKind::kOther;
}

SignatureVerdict AnySignatureVerifier::Verify(std::string_view signature,
                                              std::string_view payload) {
  switch (KindOf(signature)) {
    case SignatureKind::kPgp:
      if (gpg_ != nullptr) return gpg_->Verify(signature, payload);
      return {SignatureStatus::kUnknownKey, "",
              "an OpenPGP signature, and no key was imported with --git-gpg-key-import"};
    case SignatureKind::kSsh:
      if (ssh_ != nullptr) return ssh_->Verify(signature, payload);
      return {SignatureStatus::kUnknownKey, "",
              "an SSH signature, and no --git-allowed-signers file was given"};
    case SignatureKind::kOther:
      break;
  }
  return {SignatureStatus::kUnknownKey, "", "a signature of a kind tagflow cannot check (x509?)"};
}

}  // namespace tagflow::git
