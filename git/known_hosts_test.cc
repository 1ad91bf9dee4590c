#include "git/known_hosts.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace tagflow::git {
namespace {

// Two ed25519 keys made with ssh-keygen; the fingerprint is what
// `ssh-keygen -lf` printed for the first.
constexpr std::string_view kKey1 =
    "AAAAC3NzaC1lZDI1NTE5AAAAIFBFZ20kroKCbnDVPUZy/EQ/BlumNdgSKiDGssJgC01z";
constexpr std::string_view kKey2 =
    "AAAAC3NzaC1lZDI1NTE5AAAAIPlnaZLt925VwDJpbAyutNMHtHbO97J6sJwE0SkbMSBy";
constexpr std::string_view kKey1Fingerprint = "SHA256:Ny9EAflPL39iQJzlV1K77xKr+DkTf17lp8lfMbDHzec";
// `ssh-keygen -H` of "[example.com]:2222 <key1>" and "example.org <key1>".
constexpr std::string_view kHashed =
    "|1|itKmApKREhfPB240TOA+/bfK9NA=|5XQKa/XPx0PuOpUlApt/feIfIRg= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIFBFZ20kroKCbnDVPUZy/EQ/BlumNdgSKiDGssJgC01z\n"
    "|1|OAsagz7pbqAn7py14/XvW7djvMI=|IFzdL4QNDpHzM25lRgZc0PobZ/0= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIFBFZ20kroKCbnDVPUZy/EQ/BlumNdgSKiDGssJgC01z\n";

std::string Blob(std::string_view base64) {
  std::optional<std::string> out = Base64Decode(base64);
  EXPECT_TRUE(out.has_value());
  return out.value_or("");
}

std::string Line(std::string_view hosts, std::string_view key) {
  return std::string(hosts) + " ssh-ed25519 " + std::string(key) + " comment\n";
}

TEST(Base64Test, RoundTrips) {
  for (std::string_view text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(text)), std::optional<std::string>(text)) << text;
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm9v!"));
  EXPECT_FALSE(Base64Decode("Zm=9v"));
}

TEST(HostKeyTest, FingerprintAndTypeAsOpenSsh) {
  EXPECT_EQ(HostKeyFingerprint(Blob(kKey1)), kKey1Fingerprint);
  EXPECT_EQ(HostKeyType(Blob(kKey1)), "ssh-ed25519");
  EXPECT_EQ(HostKeyType("xx"), "unknown");
}

TEST(KnownHostsNameTest, BracketsNonDefaultPorts) {
  EXPECT_EQ(KnownHostsName("github.com", 22), "github.com");
  EXPECT_EQ(KnownHostsName("127.0.0.1", 2222), "[127.0.0.1]:2222");
}

TEST(CheckKnownHostTest, AcceptsPlainEntryWithMatchingKey) {
  std::string file =
      "# comment\n\n" + Line("other.com", kKey2) + Line("git.example.com,10.0.0.1", kKey1);
  EXPECT_TRUE(CheckKnownHost(file, "kh", "git.example.com", 22, Blob(kKey1)));
  EXPECT_TRUE(CheckKnownHost(file, "kh", "10.0.0.1", 22, Blob(kKey1)));
}

TEST(CheckKnownHostTest, PortMustMatchBracketedForm) {
  std::string file = Line("[git.example.com]:2222", kKey1);
  EXPECT_TRUE(CheckKnownHost(file, "kh", "git.example.com", 2222, Blob(kKey1)));
  auto on_22 = CheckKnownHost(file, "kh", "git.example.com", 22, Blob(kKey1));
  ASSERT_FALSE(on_22);
  EXPECT_NE(on_22.error().message.find("unknown"), std::string::npos);
  EXPECT_FALSE(
      CheckKnownHost(Line("git.example.com", kKey1), "kh", "git.example.com", 2222, Blob(kKey1)));
}

TEST(CheckKnownHostTest, AcceptsHashedEntries) {
  EXPECT_TRUE(CheckKnownHost(kHashed, "kh", "example.com", 2222, Blob(kKey1)));
  EXPECT_TRUE(CheckKnownHost(kHashed, "kh", "example.org", 22, Blob(kKey1)));
  EXPECT_FALSE(CheckKnownHost(kHashed, "kh", "example.com", 22, Blob(kKey1)));
  EXPECT_FALSE(CheckKnownHost(kHashed, "kh", "example.org", 22, Blob(kKey2)));
}

TEST(CheckKnownHostTest, WildcardsAndNegation) {
  std::string file = Line("*.example.com,!evil.example.com", kKey1);
  EXPECT_TRUE(CheckKnownHost(file, "kh", "git.example.com", 22, Blob(kKey1)));
  EXPECT_TRUE(CheckKnownHost(file, "kh", "GIT.Example.com", 22, Blob(kKey1)));
  EXPECT_FALSE(CheckKnownHost(file, "kh", "evil.example.com", 22, Blob(kKey1)));
  EXPECT_TRUE(
      CheckKnownHost(Line("git?.example.com", kKey1), "kh", "git1.example.com", 22, Blob(kKey1)));
}

TEST(CheckKnownHostTest, ChangedKeyIsRefusedWithFingerprintAndHost) {
  auto result =
      CheckKnownHost(Line("[127.0.0.1]:2222", kKey2), "/etc/kh", "127.0.0.1", 2222, Blob(kKey1));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized);
  const std::string& message = result.error().message;
  EXPECT_NE(message.find(std::string(kKey1Fingerprint)), std::string::npos) << message;
  EXPECT_NE(message.find("[127.0.0.1]:2222"), std::string::npos) << message;
  EXPECT_NE(message.find("changed"), std::string::npos) << message;
  EXPECT_NE(message.find("/etc/kh"), std::string::npos) << message;
  EXPECT_NE(message.find("ssh-ed25519"), std::string::npos) << message;
}

TEST(CheckKnownHostTest, UnknownHostIsRefused) {
  auto result = CheckKnownHost("", "kh", "git.example.com", 22, Blob(kKey1));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(result.error().message.find("unknown"), std::string::npos);
  EXPECT_NE(result.error().message.find(std::string(kKey1Fingerprint)), std::string::npos);
}

TEST(CheckKnownHostTest, RevokedKeyIsRefusedEvenWhenListed) {
  std::string file = Line("git.example.com", kKey1) + "@revoked " + Line("*", kKey1);
  auto result = CheckKnownHost(file, "kh", "git.example.com", 22, Blob(kKey1));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("revoked"), std::string::npos);
}

TEST(CheckKnownHostTest, IgnoresCertAuthorityAndMalformedLines) {
  std::string file = "@cert-authority " + Line("*", kKey1) + "garbage\nhost ssh-ed25519 !!!\n";
  EXPECT_FALSE(CheckKnownHost(file, "kh", "git.example.com", 22, Blob(kKey1)));
  EXPECT_FALSE(CheckKnownHost(file, "kh", "host", 22, Blob(kKey1)));
}

}  // namespace
}  // namespace tagflow::git
