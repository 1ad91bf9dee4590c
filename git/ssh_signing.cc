#include "git/ssh_signing.h"

#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "base/subprocess.h"
#include "git/temp_dirs.h"

namespace tagflow::git {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kScratchPrefix = "tagflow-sshsig-";

// The first line of ssh-keygen's complaint, for messages (it never prints key material).
std::string FirstLine(const std::string& text) {
  std::string_view line = Trim(std::string_view(text).substr(0, text.find('\n')));
  return line.empty() ? "no reason given" : std::string(line);
}

}  // namespace

Result<std::unique_ptr<SshSigner>> SshSigner::Open(const fs::path& key,
                                                   std::chrono::seconds timeout) {
  std::ifstream in(key);
  if (!in.good()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-signing-key {}: cannot read the file", key.string()));
  }
  std::unique_ptr<SshSigner> signer(new SshSigner(key, timeout));
  if (auto probe = signer->Sign("tagflow signing check\n"); !probe) return Fail(probe.error());
  return signer;
}

Result<std::string> SshSigner::Sign(std::string_view payload) {
  auto run =
      RunProcess({.argv = {"ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", key_.string()},
                  .input = std::string(payload),
                  .timeout = timeout_,
                  // A protected key would ask for its passphrase: fail instead.
                  .env = {{"SSH_ASKPASS_REQUIRE", "never"}, {"DISPLAY", ""}}});
  if (!run) {
    return Fail(
        run.error().kind == ErrorKind::kNotFound ? ErrorKind::kInvalidInput : run.error().kind,
        fmt::format("--git-signing-key {}: {}", key_.string(), run.error().message));
  }
  if (run->exit_code != 0 || KindOf(run->out) != SignatureKind::kSsh) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-signing-key {}: ssh-keygen cannot sign with it (a private key "
                            "without passphrase is needed): {}",
                            key_.string(), FirstLine(run->err)));
  }
  if (!run->out.ends_with('\n')) run->out += '\n';
  return std::move(run->out);
}

Result<std::unique_ptr<SshVerifier>> SshVerifier::Open(const fs::path& allowed,
                                                       std::chrono::seconds timeout) {
  std::ifstream in(allowed);
  if (!in.good()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-allowed-signers {}: cannot read the file", allowed.string()));
  }
  std::string line;
  bool any = false;
  while (std::getline(in, line)) {
    std::string_view text = Trim(line);
    if (!text.empty() && !text.starts_with('#')) any = true;
  }
  if (!any) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-allowed-signers {}: no signer in the file", allowed.string()));
  }
  RemoveStaleTempDirs(TempRoot(), kScratchPrefix);
  auto scratch = MakeProcessTempDir(kScratchPrefix);
  if (!scratch) return Fail(scratch.error());
  return std::unique_ptr<SshVerifier>(new SshVerifier(fs::absolute(allowed), *scratch, timeout));
}

SshVerifier::~SshVerifier() {
  std::error_code ec;
  fs::remove_all(scratch_, ec);
}

SignatureVerdict SshVerifier::Verify(std::string_view signature, std::string_view payload) {
  static std::atomic<int> counter{0};
  fs::path sig = scratch_ / fmt::format("sig-{}", counter++);
  {
    std::ofstream out(sig, std::ios::binary | std::ios::trunc);
    out << signature;
    if (!out.good()) return {SignatureStatus::kBad, "", "cannot write a scratch file"};
  }
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code ec;
      fs::remove(p, ec);
    }
  } remove{sig};
  auto find = RunProcess(
      {.argv = {"ssh-keygen", "-Y", "find-principals", "-s", sig.string(), "-f", allowed_.string()},
       .timeout = timeout_});
  if (!find) return {SignatureStatus::kBad, "", find.error().message};
  std::string principal(Trim(std::string_view(find->out).substr(0, find->out.find('\n'))));
  if (find->exit_code != 0 || principal.empty()) {
    // Exit 255 with "Signature ... could not be parsed" is a malformed signature.
    if (find->err.find("parse") != std::string::npos ||
        find->err.find("invalid") != std::string::npos) {
      return {SignatureStatus::kBad, "", "ssh-keygen: " + FirstLine(find->err)};
    }
    return {SignatureStatus::kUnknownKey, "",
            "the signing key is not in --git-allowed-signers " + allowed_.string()};
  }
  auto verify = RunProcess({.argv = {"ssh-keygen", "-Y", "verify", "-f", allowed_.string(), "-I",
                                     principal, "-n", "git", "-s", sig.string()},
                            .input = std::string(payload),
                            .timeout = timeout_});
  if (!verify) return {SignatureStatus::kBad, principal, verify.error().message};
  if (verify->exit_code != 0) {
    return {SignatureStatus::kBad, principal,
            "ssh-keygen: " + FirstLine(verify->err.empty() ? verify->out : verify->err)};
  }
  return {SignatureStatus::kGood, principal, "good signature"};
}

}  // namespace tagflow::git
