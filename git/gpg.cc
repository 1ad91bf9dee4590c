#include "git/gpg.h"

#include <fmt/format.h>
#include <gpgme.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "base/subprocess.h"
#include "git/temp_dirs.h"

namespace tagflow::git {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kHomePrefix = "tagflow-gnupg-";
constexpr size_t kMaxKeyFile = 1 << 20;  // an armored keyring of a team fits many times

struct CtxDeleter {
  void operator()(gpgme_ctx_t c) const { gpgme_release(c); }
};
struct DataDeleter {
  void operator()(gpgme_data_t d) const { gpgme_data_release(d); }
};
struct KeyDeleter {
  void operator()(gpgme_key_t k) const { gpgme_key_unref(k); }
};
using Ctx = std::unique_ptr<gpgme_context, CtxDeleter>;
using Data = std::unique_ptr<gpgme_data, DataDeleter>;
using Key = std::unique_ptr<_gpgme_key, KeyDeleter>;

std::string GpgError(gpgme_error_t err) {
  char buffer[256];
  gpgme_strerror_r(err, buffer, sizeof buffer);
  return buffer;
}

Result<void> Init() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = gpgme_check_version(nullptr) != nullptr &&
         gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == 0;
  });
  if (!ok) {
    return Fail(ErrorKind::kInternal,
                "GPGME cannot use gpg (is the gpg package installed?): needed by "
                "--git-gpg-key-import");
  }
  return {};
}

// A passphrase callback that refuses: a protected key cannot sign unattended.
gpgme_error_t NoPassphrase(void*, const char*, const char*, int, int) {
  return gpgme_error(GPG_ERR_NO_PASSPHRASE);
}

Result<Ctx> NewContext(const fs::path& home) {
  gpgme_ctx_t raw = nullptr;
  if (gpgme_error_t err = gpgme_new(&raw); err) {
    return Fail(ErrorKind::kInternal, "GPGME: " + GpgError(err));
  }
  Ctx ctx(raw);
  gpgme_error_t err = gpgme_set_protocol(raw, GPGME_PROTOCOL_OpenPGP);
  if (!err) err = gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str());
  if (!err) err = gpgme_set_pinentry_mode(raw, GPGME_PINENTRY_MODE_LOOPBACK);
  if (err) return Fail(ErrorKind::kInternal, "GPGME: " + GpgError(err));
  gpgme_set_passphrase_cb(raw, NoPassphrase, nullptr);
  gpgme_set_armor(raw, 1);
  return ctx;
}

Result<Data> DataOf(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 1); err) {
    return Fail(ErrorKind::kInternal, "GPGME: " + GpgError(err));
  }
  return Data(raw);
}

Result<Data> EmptyData() {
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new(&raw); err) {
    return Fail(ErrorKind::kInternal, "GPGME: " + GpgError(err));
  }
  return Data(raw);
}

std::string Drain(Data data) {
  size_t size = 0;
  char* bytes = gpgme_data_release_and_get_mem(data.release(), &size);
  std::string out(bytes != nullptr ? bytes : "", size);
  gpgme_free(bytes);
  return out;
}

Result<std::string> ReadKeyFile(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return Fail(ErrorKind::kInvalidInput, "cannot read the file");
  if (size > kMaxKeyFile) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} bytes is more than the {} a key file may have", size, kMaxKeyFile));
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Fail(ErrorKind::kInvalidInput, "cannot read the file");
  return text.str();
}

}  // namespace

Result<std::unique_ptr<GpgKeyring>> GpgKeyring::Open(const std::vector<fs::path>& imports) {
  if (auto ok = Init(); !ok) return Fail(ok.error());
  RemoveStaleGpgHomes(TempRoot());
  auto home = MakeProcessTempDir(kHomePrefix);
  if (!home) return Fail(home.error());
  std::unique_ptr<GpgKeyring> keyring(new GpgKeyring(*home));
  for (const fs::path& path : imports) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(path, ec)) {
      for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        if (fs::is_regular_file(it->path(), ec)) files.push_back(it->path());  // follows links
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        return Fail(
            ErrorKind::kInvalidInput,
            fmt::format("--git-gpg-key-import {}: the directory holds no file", path.string()));
      }
    } else {
      files.push_back(path);
    }
    for (const fs::path& file : files) {
      if (auto imported = keyring->Import(file); !imported) {
        return Fail(imported.error().Wrap("--git-gpg-key-import " + file.string()));
      }
    }
  }
  return keyring;
}

Result<void> GpgKeyring::Import(const fs::path& file) {
  auto bytes = ReadKeyFile(file);
  if (!bytes) return Fail(bytes.error());
  std::lock_guard lock(mu_);
  auto ctx = NewContext(home_);
  if (!ctx) return Fail(ctx.error());
  auto data = DataOf(*bytes);
  if (!data) return Fail(data.error());
  if (gpgme_error_t err = gpgme_op_import(ctx->get(), data->get()); err) {
    return Fail(ErrorKind::kInvalidInput, "importing the keys: " + GpgError(err));
  }
  gpgme_import_result_t result = gpgme_op_import_result(ctx->get());
  if (result == nullptr || result->considered == 0) {
    return Fail(ErrorKind::kInvalidInput, "no OpenPGP key in the file");
  }
  if (result->imported + result->unchanged + result->secret_imported + result->secret_unchanged ==
      0) {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("none of the {} key(s) in the file could be imported", result->considered));
  }
  spdlog::info("gpg keys imported file={} keys={} secret_keys={}", file.string(),
               result->imported + result->unchanged,
               result->secret_imported + result->secret_unchanged);
  return {};
}

Result<std::string> GpgKeyring::Sign(const std::string& key_id, std::string_view payload) {
  std::lock_guard lock(mu_);
  auto ctx = NewContext(home_);
  if (!ctx) return Fail(ctx.error());
  gpgme_key_t raw_key = nullptr;
  if (gpgme_error_t err = gpgme_get_key(ctx->get(), key_id.c_str(), &raw_key, /*secret=*/1); err) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-signing-key {}: no secret key with this id among the keys of "
                            "--git-gpg-key-import ({})",
                            key_id, GpgError(err)));
  }
  Key key(raw_key);
  if (!key->can_sign || key->revoked || key->expired || key->disabled) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-signing-key {}: the key cannot sign (revoked, expired, disabled "
                            "or without a signing subkey)",
                            key_id));
  }
  gpgme_signers_clear(ctx->get());
  if (gpgme_error_t err = gpgme_signers_add(ctx->get(), key.get()); err) {
    return Fail(ErrorKind::kInternal, "GPGME: " + GpgError(err));
  }
  auto in = DataOf(payload);
  if (!in) return Fail(in.error());
  auto out = EmptyData();
  if (!out) return Fail(out.error());
  if (gpgme_error_t err = gpgme_op_sign(ctx->get(), in->get(), out->get(), GPGME_SIG_MODE_DETACH);
      err) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-signing-key {}: signing failed: {} (a key protected by a "
                            "passphrase cannot be used)",
                            key_id, GpgError(err)));
  }
  std::string signature = Drain(std::move(*out));
  if (signature.empty()) {
    return Fail(ErrorKind::kInternal,
                fmt::format("--git-signing-key {}: gpg made an empty signature", key_id));
  }
  if (!signature.ends_with('\n')) signature += '\n';
  return signature;
}

SignatureVerdict GpgKeyring::Verify(std::string_view signature, std::string_view payload) {
  std::lock_guard lock(mu_);
  auto bad = [](std::string detail) {
    return SignatureVerdict{SignatureStatus::kBad, "", std::move(detail)};
  };
  auto ctx = NewContext(home_);
  if (!ctx) return bad(ctx.error().message);
  auto sig = DataOf(signature);
  auto text = DataOf(payload);
  if (!sig || !text) return bad("GPGME cannot hold the data");
  if (gpgme_error_t err = gpgme_op_verify(ctx->get(), sig->get(), text->get(), nullptr); err) {
    return bad("gpg: " + GpgError(err));
  }
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx->get());
  if (result == nullptr || result->signatures == nullptr) return bad("gpg found no signature");
  // Good when any signature is good (git shows the first; there is one).
  SignatureVerdict verdict = bad("gpg found no signature");
  for (gpgme_signature_t s = result->signatures; s != nullptr; s = s->next) {
    std::string fpr = s->fpr != nullptr ? s->fpr : "";
    gpgme_err_code_t code = gpgme_err_code(s->status);
    if (code == GPG_ERR_NO_ERROR) {
      if (s->summary &
          (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED)) {
        verdict = {SignatureStatus::kBad, fpr, "the key or signature is expired or revoked"};
        continue;
      }
      return {SignatureStatus::kGood, fpr, "good signature"};
    }
    if (code == GPG_ERR_NO_PUBKEY) {
      verdict = {SignatureStatus::kUnknownKey, fpr,
                 fmt::format("key {} is not among the keys of --git-gpg-key-import", fpr)};
    } else if (code == GPG_ERR_KEY_EXPIRED || code == GPG_ERR_SIG_EXPIRED ||
               code == GPG_ERR_CERT_REVOKED) {
      verdict = {SignatureStatus::kBad, fpr, "gpg: " + GpgError(s->status)};
    } else {
      verdict = {SignatureStatus::kBad, fpr, "gpg: " + GpgError(s->status)};
    }
  }
  return verdict;
}

std::vector<std::string> GpgKeyring::Fingerprints() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto ctx = NewContext(home_);
  if (!ctx) return out;
  if (gpgme_op_keylist_start(ctx->get(), nullptr, 0) != 0) return out;
  gpgme_key_t key = nullptr;
  while (gpgme_op_keylist_next(ctx->get(), &key) == 0) {
    if (key->fpr != nullptr) out.push_back(key->fpr);
    gpgme_key_unref(key);
  }
  gpgme_op_keylist_end(ctx->get());
  return out;
}

GpgKeyring::~GpgKeyring() {
  // The home's agent (started by gpg for secret-key operations) goes with it.
  auto stopped = RunProcess({.argv = {"gpgconf", "--homedir", home_.string(), "--kill", "all"},
                             .timeout = std::chrono::seconds(5)});
  if (!stopped)
    spdlog::warn("stopping the gpg-agent of {}: {}", home_.string(), stopped.error().message);
  std::error_code ec;
  fs::remove_all(home_, ec);
}

size_t RemoveStaleGpgHomes(const fs::path& temp_dir) {
  return RemoveStaleTempDirs(temp_dir, kHomePrefix);
}

}  // namespace tagflow::git
