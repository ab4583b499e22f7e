// crypto/cms: detached CMS signatures, and trust decided separately (CheckTrusted) against a
// self-signed certificate or a small CA built here with the OpenSSL API.

#include "crypto/cms.h"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/test_support.h"

using namespace custody;
using crypto::EvpPkeyPtr;
using crypto::X509Ptr;

namespace {

const UtcSeconds kStart{std::chrono::seconds{1795433833}};  // 2026-11-23T11:37:13Z
constexpr int kDays = 30;

EvpPkeyPtr NewKey() {
  auto key = crypto::GenerateKey(crypto::KeyType::kEcP256);
  REQUIRE(key);
  return std::move(*key);
}

// A certificate for subject_key, signed by issuer_key (self-signed when issuer is null). A CA
// gets CA:TRUE and keyCertSign; a leaf gets what keygen gives: CA:FALSE, digitalSignature and
// nonRepudiation.
X509Ptr Issue(EVP_PKEY* subject_key, const std::string& cn, bool ca, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  X509Ptr cert(X509_new());
  REQUIRE(cert);
  REQUIRE(X509_set_version(cert.get(), X509_VERSION_3) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++) == 1);
  auto name = crypto::ParseSubject("CN=" + cn + ",O=Custody Test CA");
  REQUIRE(name);
  REQUIRE(X509_set_subject_name(cert.get(), name->get()) == 1);
  REQUIRE(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name->get()) == 1);
  const time_t start = static_cast<time_t>(kStart.time_since_epoch().count());
  REQUIRE(ASN1_TIME_set(X509_getm_notBefore(cert.get()), start) != nullptr);
  REQUIRE(ASN1_TIME_adj(X509_getm_notAfter(cert.get()), start, kDays, 0) != nullptr);
  REQUIRE(X509_set_pubkey(cert.get(), subject_key) == 1);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : extensions) {
    crypto::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    REQUIRE(ext);
    REQUIRE(X509_add_ext(cert.get(), ext.get(), -1) == 1);
  }
  REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : subject_key, EVP_sha256()) > 0);
  return cert;
}

X509Ptr SelfSigned(EVP_PKEY* key, const std::string& cn = "Jane Examiner") {
  auto cert = crypto::MakeSelfSignedCertificate(key, "CN=" + cn + ",O=Example Health", kStart, kDays);
  REQUIRE(cert);
  return std::move(*cert);
}

X509Ptr Copy(X509* cert) {
  REQUIRE(X509_up_ref(cert) == 1);
  return X509Ptr(cert);
}

crypto::SigningIdentity Identity(EvpPkeyPtr key, std::vector<X509Ptr> chain) {
  crypto::SigningIdentity id;
  id.key = std::move(key);
  id.chain = std::move(chain);
  return id;
}

UtcSeconds DaysAfterStart(int days) { return kStart + std::chrono::days{days}; }

}  // namespace

TEST_CASE("a detached CMS signature verifies over its content and names its signer", "[crypto]") {
  EvpPkeyPtr key = NewKey();
  X509Ptr cert = SelfSigned(key.get());
  X509* cert_ptr = cert.get();
  std::vector<X509Ptr> chain;
  chain.push_back(std::move(cert));
  crypto::SigningIdentity signer = Identity(std::move(key), std::move(chain));
  using namespace std::string_literals;
  const std::string content = "# custody-statement/1\r\nbinary \x00\xff bytes are signed as they are\n"s;
  REQUIRE(content.size() == 62);  // the NUL is part of the content
  auto der = crypto::CmsSignDetached(content, signer);
  REQUIRE(der);
  CHECK(der->find("binary") == std::string::npos);  // detached: the content is not inside

  auto check = crypto::CmsVerifyDetached(*der, content);
  REQUIRE(check);
  CHECK(check->signature_valid);
  CHECK(check->problem.empty());
  REQUIRE(check->signer);
  CHECK(X509_cmp(check->signer.get(), cert_ptr) == 0);
  REQUIRE(check->embedded.size() == 1);
  CHECK(X509_cmp(check->embedded[0].get(), cert_ptr) == 0);
}

TEST_CASE("a CMS signature does not verify over changed content", "[crypto]") {
  EvpPkeyPtr key = NewKey();
  std::vector<X509Ptr> chain;
  chain.push_back(SelfSigned(key.get()));
  crypto::SigningIdentity signer = Identity(std::move(key), std::move(chain));
  const std::string content = "aaaa  data/a.csv\n";
  auto der = crypto::CmsSignDetached(content, signer);
  REQUIRE(der);
  std::string changed = GENERATE(as<std::string>{}, "aaab  data/a.csv\n", "aaaa  data/a.csv", "aaaa  data/a.csv\n\n",
                                 "aaaa  data/a.csv\r\n", "");
  CAPTURE(changed);
  auto check = crypto::CmsVerifyDetached(*der, changed);
  REQUIRE(check);  // a well-formed signature over other bytes is a finding, not an Error
  CHECK_FALSE(check->signature_valid);
  CHECK_FALSE(check->problem.empty());
  CHECK(check->signer);
}

TEST_CASE("empty content signs and verifies, even from a view without data", "[crypto]") {
  EvpPkeyPtr key = NewKey();
  std::vector<X509Ptr> chain;
  chain.push_back(SelfSigned(key.get()));
  crypto::SigningIdentity signer = Identity(std::move(key), std::move(chain));
  auto der = crypto::CmsSignDetached(std::string_view(), signer);
  REQUIRE(der);
  auto check = crypto::CmsVerifyDetached(*der, std::string_view());
  REQUIRE(check);
  CHECK(check->signature_valid);
  auto other = crypto::CmsVerifyDetached(*der, "x");
  REQUIRE(other);
  CHECK_FALSE(other->signature_valid);
}

TEST_CASE("bytes that are not a DER CMS SignedData are an Error", "[crypto]") {
  EvpPkeyPtr key = NewKey();
  std::vector<X509Ptr> chain;
  chain.push_back(SelfSigned(key.get()));
  crypto::SigningIdentity signer = Identity(std::move(key), std::move(chain));
  auto der = crypto::CmsSignDetached("content", signer);
  REQUIRE(der);
  std::string bad;
  SECTION("garbage") { bad = "garbage, not DER"; }
  SECTION("empty") { bad = ""; }
  SECTION("trailing bytes after a valid signature") { bad = *der + std::string(1, '\0'); }
  SECTION("a truncated signature") { bad = der->substr(0, der->size() / 2); }
  SECTION("a CMS structure that is not SignedData") {
    crypto::BioPtr in(BIO_new_mem_buf("content", 7));
    crypto::CmsPtr data(CMS_data_create(in.get(), CMS_BINARY));
    REQUIRE(data);
    unsigned char* out = nullptr;
    int len = i2d_CMS_ContentInfo(data.get(), &out);
    REQUIRE(len > 0);
    bad.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
  }
  auto check = crypto::CmsVerifyDetached(bad, "content");
  REQUIRE_FALSE(check);
  CHECK(check.error().code() == ErrorCode::kCrypto);
}

TEST_CASE("the signer's chain is embedded in the CMS signature", "[crypto]") {
  EvpPkeyPtr ca_key = NewKey();
  X509Ptr ca = Issue(ca_key.get(), "Root", true, nullptr, nullptr);
  EvpPkeyPtr leaf_key = NewKey();
  X509Ptr leaf = Issue(leaf_key.get(), "Jane Examiner", false, ca.get(), ca_key.get());
  X509* leaf_ptr = leaf.get();
  std::vector<X509Ptr> chain;
  chain.push_back(std::move(leaf));
  chain.push_back(Copy(ca.get()));
  crypto::SigningIdentity signer = Identity(std::move(leaf_key), std::move(chain));
  auto der = crypto::CmsSignDetached("statement", signer);
  REQUIRE(der);
  auto check = crypto::CmsVerifyDetached(*der, "statement");
  REQUIRE(check);
  CHECK(check->signature_valid);
  CHECK(check->embedded.size() == 2);
  REQUIRE(check->signer);
  CHECK(X509_cmp(check->signer.get(), leaf_ptr) == 0);
  CHECK(crypto::CheckTrusted(check->signer.get(), check->embedded, {}, DaysAfterStart(1)).error().code() ==
        ErrorCode::kIntegrity);  // embedded certificates are never trust anchors
}

TEST_CASE("openssl cms -verify accepts our detached signature", "[crypto]") {
  test::TempDir tmp;
  EvpPkeyPtr key = NewKey();
  X509Ptr cert = SelfSigned(key.get());
  auto cert_pem = crypto::CertificateToPem(cert.get());
  REQUIRE(cert_pem);
  std::vector<X509Ptr> chain;
  chain.push_back(std::move(cert));
  crypto::SigningIdentity signer = Identity(std::move(key), std::move(chain));
  const std::string content = "line one\r\nline two\n";
  auto der = crypto::CmsSignDetached(content, signer);
  REQUIRE(der);
  test::WriteFile(tmp / "statement.txt", content);
  test::WriteFile(tmp / "statement.p7s", *der);
  test::WriteFile(tmp / "signer.pem", *cert_pem);
  const std::string verify = "cd '" + tmp.path().string() +
                             "' && openssl cms -verify -binary -inform DER -in statement.p7s -content statement.txt "
                             "-certfile signer.pem -noverify -out /dev/null";
  auto ok = test::RunShell(verify);
  INFO(ok.out);
  CHECK(ok.code == 0);
  test::WriteFile(tmp / "statement.txt", "line one\nline two\n");
  CHECK(test::RunShell(verify).code != 0);
}

TEST_CASE("a self-signed certificate is trusted only by itself, within its validity", "[crypto]") {
  EvpPkeyPtr key = NewKey();
  X509Ptr cert = SelfSigned(key.get());
  std::vector<X509Ptr> trusted;
  trusted.push_back(Copy(cert.get()));
  CHECK(crypto::CheckTrusted(cert.get(), {}, trusted, DaysAfterStart(1)).ok());

  EvpPkeyPtr other_key = NewKey();
  X509Ptr other = SelfSigned(other_key.get(), "Jane Examiner");  // same subject, different key
  Status s = crypto::CheckTrusted(other.get(), {}, trusted, DaysAfterStart(1));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kIntegrity);
  CHECK_FALSE(crypto::CheckTrusted(cert.get(), {}, {}, DaysAfterStart(1)).ok());

  Status before = crypto::CheckTrusted(cert.get(), {}, trusted, kStart - std::chrono::seconds{1});
  REQUIRE_FALSE(before.ok());
  CHECK(before.error().message().find("not yet valid") != std::string::npos);
  Status after = crypto::CheckTrusted(cert.get(), {}, trusted, DaysAfterStart(kDays + 1));
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().message().find("expired") != std::string::npos);
}

TEST_CASE("a CA-issued certificate chains to its CA, through an intermediate if given", "[crypto]") {
  EvpPkeyPtr root_key = NewKey();
  X509Ptr root = Issue(root_key.get(), "Root", true, nullptr, nullptr);
  EvpPkeyPtr mid_key = NewKey();
  X509Ptr mid = Issue(mid_key.get(), "Intermediate", true, root.get(), root_key.get());
  EvpPkeyPtr leaf_key = NewKey();
  X509Ptr direct = Issue(leaf_key.get(), "Direct", false, root.get(), root_key.get());
  X509Ptr leaf = Issue(leaf_key.get(), "Jane Examiner", false, mid.get(), mid_key.get());
  EvpPkeyPtr rogue_key = NewKey();
  X509Ptr rogue_root = Issue(rogue_key.get(), "Root", true, nullptr, nullptr);  // same name, other key

  std::vector<X509Ptr> roots;
  roots.push_back(Copy(root.get()));
  std::vector<X509Ptr> intermediates;
  intermediates.push_back(Copy(mid.get()));
  std::vector<X509Ptr> rogue;
  rogue.push_back(Copy(rogue_root.get()));
  std::vector<X509Ptr> leaf_itself;
  leaf_itself.push_back(Copy(leaf.get()));
  const UtcSeconds at = DaysAfterStart(1);

  CHECK(crypto::CheckTrusted(direct.get(), {}, roots, at).ok());
  CHECK(crypto::CheckTrusted(leaf.get(), intermediates, roots, at).ok());
  CHECK(crypto::CheckTrusted(leaf.get(), {}, intermediates, at).ok());  // an intermediate may be the anchor
  CHECK(crypto::CheckTrusted(leaf.get(), {}, leaf_itself, at).ok());    // so may the leaf itself

  Status no_intermediate = crypto::CheckTrusted(leaf.get(), {}, roots, at);
  REQUIRE_FALSE(no_intermediate.ok());
  CHECK(no_intermediate.error().code() == ErrorCode::kIntegrity);
  CHECK_FALSE(crypto::CheckTrusted(direct.get(), {}, rogue, at).ok());
  CHECK_FALSE(crypto::CheckTrusted(leaf.get(), intermediates, rogue, at).ok());
  CHECK_FALSE(crypto::CheckTrusted(direct.get(), {}, roots, DaysAfterStart(kDays + 1)).ok());
}

TEST_CASE("a leaf cannot act as a CA for another certificate", "[crypto]") {
  EvpPkeyPtr root_key = NewKey();
  X509Ptr root = Issue(root_key.get(), "Root", true, nullptr, nullptr);
  EvpPkeyPtr leaf_key = NewKey();
  X509Ptr leaf = Issue(leaf_key.get(), "Jane Examiner", false, root.get(), root_key.get());
  EvpPkeyPtr sub_key = NewKey();
  X509Ptr sub = Issue(sub_key.get(), "Mallory", false, leaf.get(), leaf_key.get());  // issued by a CA:FALSE leaf
  std::vector<X509Ptr> roots;
  roots.push_back(Copy(root.get()));
  std::vector<X509Ptr> untrusted;
  untrusted.push_back(Copy(leaf.get()));
  CHECK_FALSE(crypto::CheckTrusted(sub.get(), untrusted, roots, DaysAfterStart(1)).ok());
}
