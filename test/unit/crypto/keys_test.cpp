// crypto/keys: key generation, self-signed certificates, PEM and DER round trips, passphrases,
// key/certificate matching and raw signatures.

#include "crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <string>

#include "crypto/digest.h"

using namespace custody;
using crypto::EvpPkeyPtr;
using crypto::KeyType;
using crypto::X509Ptr;

namespace {

const UtcSeconds kNotBefore{std::chrono::seconds{1795433833}};  // 2026-11-23T11:37:13Z

EvpPkeyPtr NewKey(KeyType type) {
  auto key = crypto::GenerateKey(type);
  REQUIRE(key);
  return std::move(*key);
}

X509Ptr NewCert(EVP_PKEY* key, const std::string& subject = "CN=Jane Examiner,O=Example Health") {
  auto cert = crypto::MakeSelfSignedCertificate(key, subject, kNotBefore, 30);
  INFO(subject);
  REQUIRE(cert);
  return std::move(*cert);
}

std::string EntryText(X509* cert, int nid) {
  char buf[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), nid, buf, sizeof buf);
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

std::string GroupName(EVP_PKEY* key) {
  char buf[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, buf, sizeof buf, &len) != 1) return "";
  return std::string(buf, len);
}

std::string Replace(std::string text, size_t offset, char c) {
  REQUIRE(offset < text.size());
  text[offset] = c;
  return text;
}

std::string TraditionalPem(EVP_PKEY* key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

TEST_CASE("key type names map to key types, others are a usage error", "[crypto]") {
  CHECK(*crypto::KeyTypeFromName("p256") == KeyType::kEcP256);
  CHECK(*crypto::KeyTypeFromName("p384") == KeyType::kEcP384);
  CHECK(*crypto::KeyTypeFromName("rsa3072") == KeyType::kRsa3072);
  auto bad = crypto::KeyTypeFromName("ed25519");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message().find("'ed25519'") != std::string::npos);
}

TEST_CASE("EC keys are generated on the named curve and sign with the matching hash", "[crypto]") {
  auto [type, group, bits, signature_nid] = GENERATE(table<KeyType, std::string, int, int>({
      {KeyType::kEcP256, "prime256v1", 256, NID_ecdsa_with_SHA256},
      {KeyType::kEcP384, "secp384r1", 384, NID_ecdsa_with_SHA384},
  }));
  CAPTURE(group);
  EvpPkeyPtr key = NewKey(type);
  CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC);
  CHECK(EVP_PKEY_get_bits(key.get()) == bits);
  CHECK(GroupName(key.get()) == group);
  X509Ptr cert = NewCert(key.get());
  CHECK(X509_get_signature_nid(cert.get()) == signature_nid);
  CHECK(X509_verify(cert.get(), key.get()) == 1);
}

TEST_CASE("an RSA-3072 key makes a certificate, raw signatures and round-trips through PEM", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kRsa3072);  // the one RSA-3072 key of this file: generation is slow
  CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA);
  CHECK(EVP_PKEY_get_bits(key.get()) == 3072);
  X509Ptr cert = NewCert(key.get());
  CHECK(X509_get_signature_nid(cert.get()) == NID_sha256WithRSAEncryption);
  CHECK(crypto::CheckKeyMatchesCertificate(key.get(), cert.get()).ok());
  auto sig = crypto::SignBytes(key.get(), "statement");
  REQUIRE(sig);
  CHECK(sig->size() == 384);
  CHECK(crypto::VerifyBytes(cert.get(), "statement", *sig));
  CHECK_FALSE(crypto::VerifyBytes(cert.get(), "statemenT", *sig));
  auto pem = crypto::PrivateKeyToPem(key.get(), std::nullopt);
  REQUIRE(pem);
  auto back = crypto::LoadPrivateKey(*pem, "rsa.key", std::nullopt);
  REQUIRE(back);
  CHECK(EVP_PKEY_eq(back->get(), key.get()) == 1);
}

TEST_CASE("a self-signed certificate is a v3 signing certificate as documented", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  X509Ptr cert = NewCert(key.get());
  CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
  CHECK(crypto::SubjectString(cert.get()) == "CN=Jane Examiner,O=Example Health");
  CHECK(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())) == 0);
  CHECK(X509_get_key_usage(cert.get()) == (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    int index = X509_get_ext_by_NID(cert.get(), nid, -1);
    REQUIRE(index >= 0);
    CHECK(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), index)) == 1);
  }
  const time_t start = static_cast<time_t>(kNotBefore.time_since_epoch().count());
  CHECK(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), start) == 0);
  CHECK(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()), start + 30 * 86400) == 0);
  crypto::CPtr<BIGNUM, BN_free> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  REQUIRE(serial);
  CHECK_FALSE(BN_is_negative(serial.get()));
  CHECK(BN_num_bytes(serial.get()) == 16);
  X509Ptr other = NewCert(key.get());
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()), X509_get0_serialNumber(other.get())) != 0);
}

TEST_CASE("subjects parse with trimming, escaped commas and the usual attributes", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  SECTION("an escaped comma stays inside the value") {
    X509Ptr cert = NewCert(key.get(), "CN=Doe\\, Jane,O=Example Health");
    CHECK(EntryText(cert.get(), NID_commonName) == "Doe, Jane");
    CHECK(EntryText(cert.get(), NID_organizationName) == "Example Health");
    CHECK(crypto::SubjectString(cert.get()) == "CN=Doe\\, Jane,O=Example Health");
  }
  SECTION("spaces around keys and values are trimmed") {
    X509Ptr cert = NewCert(key.get(), "  CN = Jane Examiner ,  O =Example ");
    CHECK(EntryText(cert.get(), NID_commonName) == "Jane Examiner");
    CHECK(EntryText(cert.get(), NID_organizationName) == "Example");
  }
  SECTION("every documented attribute, and UTF-8 values") {
    X509Ptr cert = NewCert(key.get(), "CN=Zo\xc3\xab N\xc3\xba\xc3\xb1" "ez,O=Ex,OU=IR,C=GB,ST=Kent,L=Dover,"
                                      "emailAddress=zoe@example.invalid");
    CHECK(EntryText(cert.get(), NID_countryName) == "GB");
    CHECK(EntryText(cert.get(), NID_pkcs9_emailAddress) == "zoe@example.invalid");
    CHECK(crypto::SubjectString(cert.get()).find("CN=Zo\xc3\xab N\xc3\xba\xc3\xb1" "ez") != std::string::npos);
  }
}

TEST_CASE("malformed subjects are usage errors that say what is wrong", "[crypto]") {
  auto [subject, why] = GENERATE(table<std::string, std::string>({
      {"", "expected KEY=VALUE"},
      {"Jane Examiner", "expected KEY=VALUE"},
      {"CN=", "expected KEY=VALUE"},
      {"=Jane", "expected KEY=VALUE"},
      {"CN=Jane,,O=Example", "expected KEY=VALUE"},
      {"CN=Jane,", "expected KEY=VALUE"},
      {"CN=Jane,XX=1", "unknown attribute 'XX'"},
      {"Common Name=Jane", "unknown attribute 'Common Name'"},
      {"CN=Jane,C=USA", "invalid value for C"},
      {"CN=" + std::string(65, 'x'), "invalid value for CN"},
      {"CN=bad\xff", "not UTF-8"},
  }));
  CAPTURE(subject);
  auto name = crypto::ParseSubject(subject);
  REQUIRE_FALSE(name);
  CHECK(name.error().code() == ErrorCode::kInvalidArgument);
  CHECK(name.error().message().find(why) != std::string::npos);
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  CHECK_FALSE(crypto::MakeSelfSignedCertificate(key.get(), subject, kNotBefore, 30));
}

TEST_CASE("certificate validity must be 1 to 36500 days", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  int days = GENERATE(0, -1, 36501);
  auto cert = crypto::MakeSelfSignedCertificate(key.get(), "CN=x", kNotBefore, days);
  REQUIRE_FALSE(cert);
  CHECK(cert.error().code() == ErrorCode::kInvalidArgument);
  CHECK(crypto::MakeSelfSignedCertificate(key.get(), "CN=x", kNotBefore, 36500));
}

TEST_CASE("private keys round-trip through PKCS#8 PEM, plain or encrypted", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  SECTION("plain") {
    auto pem = crypto::PrivateKeyToPem(key.get(), std::nullopt);
    REQUIRE(pem);
    CHECK(pem->rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    auto back = crypto::LoadPrivateKey(*pem, "ex.key", std::nullopt);
    REQUIRE(back);
    CHECK(EVP_PKEY_eq(back->get(), key.get()) == 1);
    auto ignored = crypto::LoadPrivateKey(*pem, "ex.key", std::string("unused"));  // a passphrase is not needed
    REQUIRE(ignored);
  }
  SECTION("a traditional EC PEM key also loads") {
    std::string pem = TraditionalPem(key.get());
    CHECK(pem.rfind("-----BEGIN EC PRIVATE KEY-----\n", 0) == 0);
    auto back = crypto::LoadPrivateKey(pem, "ex.key", std::nullopt);
    REQUIRE(back);
    CHECK(EVP_PKEY_eq(back->get(), key.get()) == 1);
  }
  SECTION("encrypted") {
    auto pem = crypto::PrivateKeyToPem(key.get(), std::string("correct horse"));
    REQUIRE(pem);
    CHECK(pem->rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0) == 0);

    auto without = crypto::LoadPrivateKey(*pem, "ex.key", std::nullopt);  // never prompts
    REQUIRE_FALSE(without);
    CHECK(without.error().code() == ErrorCode::kCrypto);
    CHECK(without.error().message() ==
          "key ex.key is encrypted: put its passphrase in the CUSTODY_KEY_PASSPHRASE environment variable");

    auto wrong = crypto::LoadPrivateKey(*pem, "ex.key", std::string("battery staple"));
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code() == ErrorCode::kCrypto);
    CHECK(wrong.error().message() == "key ex.key could not be decrypted: wrong passphrase?");

    auto right = crypto::LoadPrivateKey(*pem, "ex.key", std::string("correct horse"));
    REQUIRE(right);
    CHECK(EVP_PKEY_eq(right->get(), key.get()) == 1);
  }
}

TEST_CASE("a passphrase OpenSSL could not hand back is refused when writing the key", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  auto longest = crypto::PrivateKeyToPem(key.get(), std::string(crypto::kMaxPassphraseBytes, 'p'));
  REQUIRE(longest);
  CHECK(crypto::LoadPrivateKey(*longest, "k", std::string(crypto::kMaxPassphraseBytes, 'p')));

  auto too_long = crypto::PrivateKeyToPem(key.get(), std::string(crypto::kMaxPassphraseBytes + 1, 'p'));
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code() == ErrorCode::kInvalidArgument);
  auto empty = crypto::PrivateKeyToPem(key.get(), std::string());
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code() == ErrorCode::kInvalidArgument);

  auto loaded = crypto::LoadPrivateKey(*longest, "k", std::string(crypto::kMaxPassphraseBytes + 1, 'p'));
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message().find("longer than") != std::string::npos);
}

TEST_CASE("what is not a usable private key is refused, naming the file", "[crypto]") {
  EvpPkeyPtr ec = NewKey(KeyType::kEcP256);
  auto cert_pem = crypto::CertificateToPem(NewCert(ec.get()).get());
  REQUIRE(cert_pem);
  std::string pem;
  std::string why;
  SECTION("not PEM") {
    pem = "this is not a key\n";
    why = "is not a PEM private key";
  }
  SECTION("empty") {
    pem = "";
    why = "is not a PEM private key";
  }
  SECTION("a certificate") {
    pem = *cert_pem;
    why = "is not a PEM private key";
  }
  SECTION("a damaged PEM body") {
    pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    why = "is not a PEM private key";
  }
  SECTION("an Ed25519 key") {
    EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    REQUIRE(ed);
    pem = *crypto::PrivateKeyToPem(ed.get(), std::nullopt);
    why = "only ECDSA (P-256, P-384) and RSA keys";
  }
  SECTION("an RSA key under 2048 bits") {
    EvpPkeyPtr small(EVP_RSA_gen(1024));
    REQUIRE(small);
    pem = *crypto::PrivateKeyToPem(small.get(), std::nullopt);
    why = "at least 2048 bits";
  }
  auto key = crypto::LoadPrivateKey(pem, "/keys/ex.key", std::nullopt);
  REQUIRE_FALSE(key);
  CHECK(key.error().code() == ErrorCode::kCrypto);
  CHECK(key.error().message().rfind("key /keys/ex.key", 0) == 0);
  CHECK(key.error().message().find(why) != std::string::npos);
}

// ReadPemPrivateKey is the one PEM key reader of the signing key, the Salesforce JWT key and the
// SMART key; each gives it a label. This one is made up, so the tests see what comes from the label.
const crypto::PemKeyLabel kTestLabel{"the test key", "the TEST_KEY_PASSPHRASE environment variable", "test passphrase"};

TEST_CASE("ReadPemPrivateKey reads plain and encrypted keys, given the right passphrase", "[crypto][pem]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  SECTION("a plain key, with or without a passphrase") {
    auto pem = crypto::PrivateKeyToPem(key.get(), std::nullopt);
    REQUIRE(pem);
    for (std::string_view passphrase : {"", "not needed"}) {
      CAPTURE(passphrase);
      auto read = crypto::ReadPemPrivateKey(*pem, kTestLabel, passphrase);
      REQUIRE(read);
      CHECK(EVP_PKEY_eq(read->get(), key.get()) == 1);
    }
  }
  SECTION("an encrypted key with its passphrase") {
    auto pem = crypto::PrivateKeyToPem(key.get(), std::string("correct horse"));
    REQUIRE(pem);
    auto read = crypto::ReadPemPrivateKey(*pem, kTestLabel, "correct horse");
    REQUIRE(read);
    CHECK(EVP_PKEY_eq(read->get(), key.get()) == 1);
  }
  SECTION("a passphrase of exactly 1024 bytes") {
    const std::string longest(crypto::kMaxPassphraseBytes, 'q');
    auto pem = crypto::PrivateKeyToPem(key.get(), longest);
    REQUIRE(pem);
    auto read = crypto::ReadPemPrivateKey(*pem, kTestLabel, longest);
    REQUIRE(read);
    CHECK(EVP_PKEY_eq(read->get(), key.get()) == 1);
  }
  SECTION("a key of any type: the type is the caller's to check") {
    EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    REQUIRE(ed);
    auto pem = crypto::PrivateKeyToPem(ed.get(), std::nullopt);
    REQUIRE(pem);
    auto read = crypto::ReadPemPrivateKey(*pem, kTestLabel, "");
    REQUIRE(read);
    CHECK(EVP_PKEY_get_base_id(read->get()) == EVP_PKEY_ED25519);
  }
}

TEST_CASE("ReadPemPrivateKey says what is wrong with a key, and never quotes the passphrase", "[crypto][pem]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  const std::string right = "Tr0ub4dor&3 right";
  auto encrypted = crypto::PrivateKeyToPem(key.get(), right);
  REQUIRE(encrypted);
  const std::string too_long(crypto::kMaxPassphraseBytes + 1, 'z');

  auto [pem, passphrase, message] = GENERATE_COPY(table<std::string, std::string, std::string>({
      {*encrypted, "",
       "the test key is encrypted: put its passphrase in the TEST_KEY_PASSPHRASE environment variable"},
      {*encrypted, "Tr0ub4dor&3 wrong", "the test key could not be decrypted: wrong test passphrase?"},
      {*encrypted, right + right, "the test key could not be decrypted: wrong test passphrase?"},
      {*encrypted, too_long,
       "the test key could not be decrypted: the passphrase in the TEST_KEY_PASSPHRASE environment variable"
       " is longer than the 1024 bytes OpenSSL accepts"},
  }));
  CAPTURE(message);
  auto read = crypto::ReadPemPrivateKey(pem, kTestLabel, passphrase);
  REQUIRE_FALSE(read);
  CHECK(read.error().code() == ErrorCode::kCrypto);
  CHECK(read.error().message() == message);
  CHECK_THAT(read.error().message(), !Catch::Contains("Tr0ub4dor") && !Catch::Contains("zzzz"));
}

TEST_CASE("ReadPemPrivateKey refuses what is not a PEM private key, with OpenSSL's reason", "[crypto][pem]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  auto cert_pem = crypto::CertificateToPem(NewCert(key.get()).get());
  REQUIRE(cert_pem);
  std::string pem;
  SECTION("text") { pem = "this is not a key\n"; }
  SECTION("nothing") { pem = ""; }
  SECTION("a PEM certificate") { pem = *cert_pem; }
  SECTION("a damaged key block") { pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"; }
  CAPTURE(pem);

  // Given with a passphrase, to show it is not quoted in OpenSSL's reason either.
  auto read = crypto::ReadPemPrivateKey(pem, kTestLabel, "Tr0ub4dor&3");
  REQUIRE_FALSE(read);
  CHECK(read.error().code() == ErrorCode::kCrypto);
  const std::string& message = read.error().message();
  CHECK(message.rfind("the test key is not a PEM private key (", 0) == 0);  // then OpenSSL's reason
  CHECK(message.back() == ')');
  CHECK_THAT(message, !Catch::Contains("Tr0ub4dor"));

  // The SMART loader keeps its usage-error code (exit 2) for the same failure.
  crypto::PemKeyLabel usage = kTestLabel;
  usage.not_a_key = ErrorCode::kInvalidArgument;
  auto as_usage = crypto::ReadPemPrivateKey(pem, usage, "");
  REQUIRE_FALSE(as_usage);
  CHECK(as_usage.error().code() == ErrorCode::kInvalidArgument);
  CHECK(as_usage.error().message().rfind("the test key is not a PEM private key", 0) == 0);
}

TEST_CASE("the signing key's messages name the file and CUSTODY_KEY_PASSPHRASE", "[crypto][pem]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  auto longest = crypto::PrivateKeyToPem(key.get(), std::string(crypto::kMaxPassphraseBytes, 'p'));
  REQUIRE(longest);
  auto too_long = crypto::LoadPrivateKey(*longest, "/keys/ex.key", std::string(crypto::kMaxPassphraseBytes + 1, 'p'));
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code() == ErrorCode::kCrypto);
  CHECK(too_long.error().message() ==
        "key /keys/ex.key could not be decrypted: the passphrase in the CUSTODY_KEY_PASSPHRASE environment variable"
        " is longer than the 1024 bytes OpenSSL accepts");
  // An empty passphrase is none, as an empty CUSTODY_KEY_PASSPHRASE is.
  auto empty = crypto::LoadPrivateKey(*longest, "/keys/ex.key", std::string());
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message() ==
        "key /keys/ex.key is encrypted: put its passphrase in the CUSTODY_KEY_PASSPHRASE environment variable");
}

TEST_CASE("certificates round-trip through PEM and DER, in order", "[crypto]") {
  EvpPkeyPtr a_key = NewKey(KeyType::kEcP256);
  EvpPkeyPtr b_key = NewKey(KeyType::kEcP256);
  X509Ptr a = NewCert(a_key.get(), "CN=A");
  X509Ptr b = NewCert(b_key.get(), "CN=B");
  auto a_pem = crypto::CertificateToPem(a.get());
  auto b_pem = crypto::CertificateToPem(b.get());
  REQUIRE(a_pem);
  REQUIRE(b_pem);
  CHECK(a_pem->rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  auto both = crypto::LoadCertificates(*a_pem + *b_pem, "chain.pem");
  REQUIRE(both);
  REQUIRE(both->size() == 2);
  CHECK(X509_cmp((*both)[0].get(), a.get()) == 0);
  CHECK(X509_cmp((*both)[1].get(), b.get()) == 0);

  auto der = crypto::CertificateDer(a.get());
  REQUIRE(der);
  CHECK(crypto::CertificateSha256(a.get()) == crypto::Sha256Hex(*der));
  auto back = crypto::CertificateFromDer(*der);
  REQUIRE(back);
  CHECK(X509_cmp(back->get(), a.get()) == 0);
  CHECK_FALSE(crypto::CertificateFromDer(*der + "x"));  // trailing bytes
  CHECK_FALSE(crypto::CertificateFromDer(der->substr(0, der->size() - 1)));
  CHECK_FALSE(crypto::CertificateFromDer(""));

  auto none = crypto::LoadCertificates("no certificate here\n", "cert.pem");
  REQUIRE_FALSE(none);
  CHECK(none.error().message() == "certificate cert.pem holds no PEM certificate");

  // Text and other PEM blocks around the certificates are skipped (openssl pkcs12 writes "Bag
  // Attributes" lines; some people keep the key in the same file).
  auto key_pem = crypto::PrivateKeyToPem(a_key.get(), std::nullopt);
  REQUIRE(key_pem);
  auto mixed = crypto::LoadCertificates("Bag Attributes\n    localKeyID: 01\n" + *key_pem + *a_pem + "trailing\n",
                                        "mixed.pem");
  REQUIRE(mixed);
  CHECK(mixed->size() == 1);
}

TEST_CASE("a damaged certificate block is an error, never a silently shorter chain", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  auto pem = crypto::CertificateToPem(NewCert(key.get()).get());
  REQUIRE(pem);
  std::string damaged;
  SECTION("a character outside base64") { damaged = Replace(*pem, 40, '!'); }
  SECTION("a missing END line") { damaged = pem->substr(0, pem->find("-----END")); }
  SECTION("DER that is not a certificate") {
    REQUIRE(pem->compare(28, 3, "MII") == 0);  // the body starts with a SEQUENCE tag ...
    damaged = Replace(*pem, 28, 'A');           // ... that this turns into tag 0
  }
  auto certs = crypto::LoadCertificates(*pem + damaged, "chain.pem");
  REQUIRE_FALSE(certs);
  CHECK(certs.error().code() == ErrorCode::kCrypto);
  CHECK(certs.error().message().rfind("certificate chain.pem: certificate 2 is damaged", 0) == 0);
}

TEST_CASE("a key and a certificate that do not belong together are caught", "[crypto]") {
  EvpPkeyPtr key = NewKey(KeyType::kEcP256);
  EvpPkeyPtr other = NewKey(KeyType::kEcP256);
  X509Ptr cert = NewCert(key.get(), "CN=Owner");
  CHECK(crypto::CheckKeyMatchesCertificate(key.get(), cert.get()).ok());
  Status s = crypto::CheckKeyMatchesCertificate(other.get(), cert.get());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kCrypto);
  CHECK(s.error().message().find("CN=Owner") != std::string::npos);
  EvpPkeyPtr p384 = NewKey(KeyType::kEcP384);
  CHECK_FALSE(crypto::CheckKeyMatchesCertificate(p384.get(), cert.get()).ok());
}

TEST_CASE("raw signatures verify only over the same bytes, signature and certificate", "[crypto]") {
  KeyType type = GENERATE(KeyType::kEcP256, KeyType::kEcP384);
  EvpPkeyPtr key = NewKey(type);
  X509Ptr cert = NewCert(key.get());
  const std::string data = "{\"action\":\"sealed\",\"seq\":1}";
  auto sig = crypto::SignBytes(key.get(), data);
  REQUIRE(sig);
  CHECK(crypto::VerifyBytes(cert.get(), data, *sig));

  std::string tampered = data;
  tampered[tampered.size() - 2] = '2';
  CHECK_FALSE(crypto::VerifyBytes(cert.get(), tampered, *sig));
  CHECK_FALSE(crypto::VerifyBytes(cert.get(), data + " ", *sig));
  std::string bad_sig = *sig;
  bad_sig[bad_sig.size() / 2] = static_cast<char>(bad_sig[bad_sig.size() / 2] ^ 0x01);
  CHECK_FALSE(crypto::VerifyBytes(cert.get(), data, bad_sig));
  CHECK_FALSE(crypto::VerifyBytes(cert.get(), data, ""));
  EvpPkeyPtr other = NewKey(type);
  X509Ptr other_cert = NewCert(other.get());
  CHECK_FALSE(crypto::VerifyBytes(other_cert.get(), data, *sig));
}
