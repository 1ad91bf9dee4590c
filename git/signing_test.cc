// Signed commits and tags made by Libgit2Repo, checked by Debian's `git
// verify-commit` / `git verify-tag` with a key generated here by `gpg`
// (OpenPGP) or `ssh-keygen` (SSH, with an allowed-signers file); and the
// checks of git/verify.h against commits made by `git` itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/gpg.h"
#include "git/libgit2_history.h"
#include "git/libgit2_repo.h"
#include "git/signed_objects.h"
#include "git/ssh_signing.h"
#include "git/verify.h"
#include "test/support/git_server.h"
#include "test/support/gpg_key.h"
#include "test/support/process.h"

namespace tagflow::git {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tagflow::testing::CreateBareRepo;
using tagflow::testing::GenerateSshKey;
using tagflow::testing::GpgTestKey;
using tagflow::testing::ReadFile;
using tagflow::testing::RunShell;
using tagflow::testing::ShellQuote;
using tagflow::testing::TempDir;
using tagflow::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kManifest = "kind: Deployment\nimage: example.com/app:1.0\n";

class SigningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = new GpgTestKey("Tagflow Bot", "tagflow@localhost"); }
  static void TearDownTestSuite() { delete key_; }

  void SetUp() override {
    bare_ = dir_.path() / "repo.git";
    CreateBareRepo(bare_, {{"app.yaml", kManifest}});
  }

  // Clones, edits app.yaml, commits, pushes and moves the tag "flux-sync".
  void CommitPushAndTag(std::shared_ptr<Signer> signer) {
    GitOptions options;
    options.url = bare_.string();
    options.workdir = dir_.path() / "clone";
    options.timeout = 10s;
    options.signer = std::move(signer);
    auto repo = OpenGitRepo(options);
    ASSERT_TRUE(repo) << repo.error().message;
    ASSERT_TRUE((*repo)->Sync());
    WriteFile((*repo)->WorkTree() / "app.yaml", "kind: Deployment\nimage: example.com/app:1.1\n");
    auto commit = (*repo)->Commit({"app.yaml"}, "Auto-release example.com/app:1.1");
    ASSERT_TRUE(commit) << commit.error().message;
    auto pushed = (*repo)->Push();
    ASSERT_TRUE(pushed) << pushed.error().message;
    auto tagged = (*repo)->MoveTag("flux-sync", *commit);
    ASSERT_TRUE(tagged) << tagged.error().message;
    commit_ = *commit;
  }

  // Runs git in the bare remote with `env` and `config`; exit code, output in *out.
  int Git(const std::string& env, const std::string& args, std::string* out) {
    return RunShell(env + "git --git-dir " + ShellQuote(bare_.string()) + " " + args, out);
  }

  static GpgTestKey* key_;
  TempDir dir_;
  fs::path bare_;
  std::string commit_;
};
GpgTestKey* SigningTest::key_ = nullptr;

TEST_F(SigningTest, GpgSignedCommitAndTagPassGitVerify) {
  auto keyring = GpgKeyring::Open({key_->secret_key_file()});
  ASSERT_TRUE(keyring) << keyring.error().message;
  std::shared_ptr<GpgKeyring> owned = std::move(*keyring);
  auto signer = std::make_shared<GpgSigner>(*owned, key_->fingerprint());
  CommitPushAndTag(signer);

  std::string out;
  EXPECT_EQ(Git(key_->Env(), "verify-commit " + commit_, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Good signature from \"Tagflow Bot <tagflow@localhost>\""));
  EXPECT_EQ(Git(key_->Env(), "verify-tag flux-sync", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Good signature"));
  // The tag is annotated, points at the commit, and keeps Flux's message.
  EXPECT_EQ(Git("", "cat-file -t flux-sync", &out), 0);
  EXPECT_EQ(out, "tag\n");
  EXPECT_EQ(Git("", "rev-parse flux-sync^{commit}", &out), 0);
  EXPECT_EQ(out, commit_ + "\n");
  EXPECT_EQ(Git("", "tag -l --format='%(contents:subject)' flux-sync", &out), 0);
  EXPECT_EQ(out, "Sync pointer\n");
  // The private home went with the keyring; the user's keyring was never used.
  fs::path home = owned->home();
  EXPECT_TRUE(fs::exists(home));
  owned.reset();
  signer.reset();
  EXPECT_FALSE(fs::exists(home));
}

TEST_F(SigningTest, GitRejectsTheSignatureOfAnotherKey) {
  // Signed with a key git's keyring does not know: verify-commit fails, so
  // the tests above are not vacuous.
  GpgTestKey other("Someone Else", "else@localhost");
  auto keyring = GpgKeyring::Open({other.secret_key_file()});
  ASSERT_TRUE(keyring) << keyring.error().message;
  std::shared_ptr<GpgKeyring> owned = std::move(*keyring);
  CommitPushAndTag(std::make_shared<GpgSigner>(*owned, other.fingerprint()));
  std::string out;
  EXPECT_NE(Git(key_->Env(), "verify-commit " + commit_, &out), 0) << out;
  EXPECT_NE(Git(key_->Env(), "verify-tag flux-sync", &out), 0) << out;
}

TEST_F(SigningTest, SshSignedCommitAndTagPassGitVerifyWithAllowedSigners) {
  fs::path key = dir_.path() / "signing_key";
  std::string pub = GenerateSshKey(key);
  fs::path allowed = dir_.path() / "allowed_signers";
  WriteFile(allowed, "tagflow@localhost " + pub + "\n");
  auto signer = SshSigner::Open(key, 10s);
  ASSERT_TRUE(signer) << signer.error().message;
  CommitPushAndTag(std::shared_ptr<Signer>(std::move(*signer)));

  std::string config = "-c gpg.ssh.allowedSignersFile=" + ShellQuote(allowed.string()) + " ";
  std::string out;
  EXPECT_EQ(Git("", config + "verify-commit " + commit_, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Good \"git\" signature for tagflow@localhost"));
  EXPECT_EQ(Git("", config + "verify-tag flux-sync", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Good \"git\" signature for tagflow@localhost"));

  // Another allowed key only: git refuses.
  std::string other = GenerateSshKey(dir_.path() / "other_key");
  WriteFile(allowed, "tagflow@localhost " + other + "\n");
  EXPECT_NE(Git("", config + "verify-commit " + commit_, &out), 0) << out;
}

TEST_F(SigningTest, BadKeysAreStartupErrorsNamingTheFlag) {
  auto missing = GpgKeyring::Open({dir_.path() / "nope.asc"});
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("--git-gpg-key-import"));
  EXPECT_THAT(missing.error().message, HasSubstr("nope.asc"));

  WriteFile(dir_.path() / "garbage.asc", "not a key\n");
  auto garbage = GpgKeyring::Open({dir_.path() / "garbage.asc"});
  ASSERT_FALSE(garbage);
  EXPECT_THAT(garbage.error().message, HasSubstr("garbage.asc"));

  // A public key alone cannot sign.
  auto keyring = GpgKeyring::Open({key_->public_key_file()});
  ASSERT_TRUE(keyring) << keyring.error().message;
  auto sig = (*keyring)->Sign(key_->fingerprint(), "payload");
  ASSERT_FALSE(sig);
  EXPECT_THAT(sig.error().message, HasSubstr("--git-signing-key"));
  auto unknown = (*keyring)->Sign("0123456789ABCDEF", "payload");
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message, HasSubstr("0123456789ABCDEF"));

  WriteFile(dir_.path() / "not_ssh", "garbage\n");
  auto ssh = SshSigner::Open(dir_.path() / "not_ssh", 10s);
  ASSERT_FALSE(ssh);
  EXPECT_THAT(ssh.error().message, HasSubstr("--git-signing-key"));
  auto absent = SshSigner::Open(dir_.path() / "absent", 10s);
  ASSERT_FALSE(absent);
  EXPECT_THAT(absent.error().message, HasSubstr("absent"));

  // A passphrase-protected key fails fast instead of waiting for a prompt.
  fs::path locked = dir_.path() / "locked";
  ASSERT_EQ(RunShell("ssh-keygen -q -t ed25519 -N secret-pass -f " + ShellQuote(locked.string())),
            0);
  auto protected_key = SshSigner::Open(locked, 5s);
  ASSERT_FALSE(protected_key);
  EXPECT_THAT(protected_key.error().message, HasSubstr("--git-signing-key"));
  EXPECT_THAT(protected_key.error().message, Not(HasSubstr("secret-pass")));

  WriteFile(dir_.path() / "empty_signers", "# nobody\n");
  auto allowed = SshVerifier::Open(dir_.path() / "empty_signers", 10s);
  ASSERT_FALSE(allowed);
  EXPECT_THAT(allowed.error().message, HasSubstr("--git-allowed-signers"));
}

TEST_F(SigningTest, GpgVerifyTellsGoodUnknownAndBad) {
  auto keyring = GpgKeyring::Open({key_->secret_key_file()});
  ASSERT_TRUE(keyring) << keyring.error().message;
  auto sig = (*keyring)->Sign(key_->fingerprint(), "payload\n");
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ((*keyring)->Verify(*sig, "payload\n").status, SignatureStatus::kGood);
  EXPECT_EQ((*keyring)->Verify(*sig, "payload!\n").status, SignatureStatus::kBad);
  EXPECT_EQ((*keyring)->Verify("-----BEGIN PGP SIGNATURE-----\n\nxx\n", "payload\n").status,
            SignatureStatus::kBad);

  GpgTestKey other("Someone Else", "else@localhost");
  auto other_ring = GpgKeyring::Open({other.secret_key_file()});
  ASSERT_TRUE(other_ring);
  auto foreign = (*other_ring)->Sign(other.fingerprint(), "payload\n");
  ASSERT_TRUE(foreign);
  SignatureVerdict v = (*keyring)->Verify(*foreign, "payload\n");
  EXPECT_EQ(v.status, SignatureStatus::kUnknownKey);
}

// Commits made with `git` itself in a work tree: signed by the test key,
// unsigned, signed by an unknown key.
class VerifyTest : public SigningTest {
 protected:
  void SetUp() override {
    work_ = dir_.path() / "work";
    ASSERT_EQ(RunShell("git init -q -b master " + ShellQuote(work_.string())), 0);
  }
  std::string CommitFile(const std::string& content, const std::string& sign_args,
                         const std::string& env = "") {
    WriteFile(work_ / "app.yaml", content);
    std::string out;
    EXPECT_EQ(
        RunShell("cd " + ShellQuote(work_.string()) + " && git add -A && " + env +
                     "git -c user.name=Jane -c user.email=jane@example.com " + sign_args +
                     " commit -q -m " + ShellQuote("set " + content) + " && git rev-parse HEAD",
                 &out),
        0)
        << out;
    return out.substr(0, 40);
  }
  std::string Signed(const std::string& content) {
    return CommitFile(content, "-c commit.gpgsign=true -c user.signingkey=" + key_->fingerprint(),
                      key_->Env());
  }
  fs::path work_;
};

TEST_F(VerifyTest, UnsignedHumanCommitOnTopIsNamed) {
  auto keyring = GpgKeyring::Open({key_->public_key_file()});
  ASSERT_TRUE(keyring) << keyring.error().message;
  std::string first = Signed("a");
  std::string second = Signed("b");
  auto history = OpenHistory(work_);
  ASSERT_TRUE(history) << history.error().message;
  auto good = FindUnverified(*history->history, **keyring, second, first, VerifyMode::kAll);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_TRUE(good->empty());

  std::string unsigned_commit = CommitFile("c", "");
  history = OpenHistory(work_);
  auto bad = FindUnverified(*history->history, **keyring, unsigned_commit, first, VerifyMode::kAll);
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->size(), 1u);
  EXPECT_EQ((*bad)[0].verdict.status, SignatureStatus::kUnsigned);
  std::string text = Describe((*bad)[0]);
  EXPECT_THAT(text, HasSubstr(unsigned_commit.substr(0, 12)));
  EXPECT_THAT(text, HasSubstr("unsigned"));
  EXPECT_THAT(text, HasSubstr("jane@example.com"));

  // An unsigned commit under a signed head: caught in "all" mode.
  std::string head = Signed("d");
  history = OpenHistory(work_);
  auto below = FindUnverified(*history->history, **keyring, head, first, VerifyMode::kAll);
  ASSERT_TRUE(below);
  ASSERT_EQ(below->size(), 1u);
  EXPECT_EQ((*below)[0].commit.id, unsigned_commit);
  // Without a sync tag commit: the head alone.
  auto head_only = FindUnverified(*history->history, **keyring, head, "", VerifyMode::kAll);
  ASSERT_TRUE(head_only);
  EXPECT_TRUE(head_only->empty());
}

TEST_F(VerifyTest, UnknownKeyIsNamed) {
  GpgTestKey other("Mallory", "mallory@localhost");
  auto keyring = GpgKeyring::Open({key_->public_key_file()});
  ASSERT_TRUE(keyring);
  std::string first = Signed("a");
  std::string foreign = CommitFile(
      "b", "-c commit.gpgsign=true -c user.signingkey=" + other.fingerprint(), other.Env());
  auto history = OpenHistory(work_);
  ASSERT_TRUE(history);
  auto bad = FindUnverified(*history->history, **keyring, foreign, first, VerifyMode::kAll);
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->size(), 1u);
  EXPECT_EQ((*bad)[0].verdict.status, SignatureStatus::kUnknownKey);
  EXPECT_THAT(Describe((*bad)[0]), HasSubstr("unknown key"));
}

TEST_F(VerifyTest, FirstParentModeSkipsTheMergedSide) {
  auto keyring = GpgKeyring::Open({key_->public_key_file()});
  ASSERT_TRUE(keyring);
  std::string base = Signed("a");
  std::string out;
  ASSERT_EQ(RunShell("cd " + ShellQuote(work_.string()) + " && git checkout -q -b feature", &out),
            0);
  CommitFile("feature", "");  // unsigned work on a side branch
  ASSERT_EQ(
      RunShell("cd " + ShellQuote(work_.string()) + " && git checkout -q master && " + key_->Env() +
                   "git -c user.name=Jane "
                   "-c user.email=jane@example.com -c user.signingkey=" +
                   key_->fingerprint() + " merge -q -S --no-ff -m merge feature",
               &out),
      0)
      << out;
  auto history = OpenHistory(work_);
  ASSERT_TRUE(history);
  auto all = FindUnverified(*history->history, **keyring, history->head, base, VerifyMode::kAll);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
  auto first =
      FindUnverified(*history->history, **keyring, history->head, base, VerifyMode::kFirstParent);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->empty());
}

TEST_F(VerifyTest, SshSignaturesAgainstAllowedSigners) {
  fs::path key = dir_.path() / "dev_key";
  std::string pub = GenerateSshKey(key);
  fs::path allowed = dir_.path() / "allowed";
  WriteFile(allowed, "jane@example.com " + pub + "\n");
  auto verifier = SshVerifier::Open(allowed, 10s);
  ASSERT_TRUE(verifier) << verifier.error().message;
  std::string ssh_sign =
      "-c gpg.format=ssh -c commit.gpgsign=true -c user.signingkey=" + ShellQuote(key.string());
  std::string base = CommitFile("a", "");
  std::string good = CommitFile("b", ssh_sign);
  auto history = OpenHistory(work_);
  ASSERT_TRUE(history);
  AnySignatureVerifier any(nullptr, verifier->get());
  auto ok = FindUnverified(*history->history, any, good, base, VerifyMode::kAll);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->empty()) << Describe(ok->front());

  fs::path other = dir_.path() / "other_key";
  GenerateSshKey(other);
  std::string foreign = CommitFile("c",
                                   "-c gpg.format=ssh -c commit.gpgsign=true "
                                   "-c user.signingkey=" +
                                       ShellQuote(other.string()));
  history = OpenHistory(work_);
  auto bad = FindUnverified(*history->history, any, foreign, good, VerifyMode::kAll);
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->size(), 1u);
  EXPECT_EQ((*bad)[0].verdict.status, SignatureStatus::kUnknownKey);

  // A GPG-signed commit with no GPG keyring configured: unknown key, not good.
  std::string pgp = Signed("d");
  history = OpenHistory(work_);
  auto mixed = FindUnverified(*history->history, any, pgp, foreign, VerifyMode::kAll);
  ASSERT_TRUE(mixed);
  ASSERT_EQ(mixed->size(), 1u);
  EXPECT_EQ((*mixed)[0].verdict.status, SignatureStatus::kUnknownKey);
}

TEST(SshVerifierTest, SignatureOverOtherBytesIsBad) {
  TempDir dir;
  fs::path key = dir.path() / "k";
  std::string pub = GenerateSshKey(key);
  WriteFile(dir.path() / "allowed", "me@example.com " + pub + "\n");
  auto signer = SshSigner::Open(key, 10s);
  ASSERT_TRUE(signer) << signer.error().message;
  auto verifier = SshVerifier::Open(dir.path() / "allowed", 10s);
  ASSERT_TRUE(verifier);
  auto sig = (*signer)->Sign("payload\n");
  ASSERT_TRUE(sig);
  EXPECT_EQ((*verifier)->Verify(*sig, "payload\n").status, SignatureStatus::kGood);
  EXPECT_EQ((*verifier)->Verify(*sig, "payload\n").signer, "me@example.com");
  EXPECT_EQ((*verifier)->Verify(*sig, "tampered\n").status, SignatureStatus::kBad);
}

}  // namespace
}  // namespace tagflow::git
