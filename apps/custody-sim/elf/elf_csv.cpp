#include "elf/elf_csv.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "org/calendar.h"

// Row emitters are inlined into each column's call site so that, with the column a compile-time
// constant, only that column's code remains.
#define ELF_ALWAYS_INLINE __attribute__((always_inline)) inline

// The byte copies under them too, but only when optimizing: at -O0 (the Debug and sanitizer
// builds) forcing every copy into every row template made this file take over 20 minutes and
// 5 GB to compile under ASan + UBSan.
#if defined(__OPTIMIZE__)
#define ELF_INLINE_COPY __attribute__((always_inline)) inline
#else
#define ELF_INLINE_COPY inline
#endif

namespace custody::sim::elf {
namespace {

// ---------------------------------------------------------------------------------------------
// Columns

enum class Col : uint8_t {
  kEventType,
  kTimestamp,
  kRequestId,
  kOrganizationId,
  kUserId,
  kRunTime,
  kCpuTime,
  kUri,
  kSessionKey,
  kLoginKey,
  kTimestampDerived,
  kUserIdDerived,
  kClientIp,
  kUriIdDerived,
  // Login
  kUserType,
  kRequestStatus,
  kDbTotalTime,
  kLoginType,
  kBrowserType,
  kApiType,
  kApiVersion,
  kUserName,
  kTlsProtocol,
  kCipherSuite,
  kAuthenticationMethodReference,
  kLoginSubType,
  kLoginStatus,
  kSourceIp,
  // Logout
  kSessionType,
  kSessionLevel,
  kPlatformType,
  kResolutionType,
  kAppType,
  kClientVersion,
  kUserInitiatedLogout,
  // LoginAs
  kDelegatedUserId,
  kDelegatedUserName,
  kDelegatedUserIdDerived,
  // Report, ReportExport
  kReportId,
  kReportIdDerived,
  kOrigin,
  kDisplayType,
  kRenderingType,
  kEntityName,
  kRowCount,
  kNumberColumns,
  kSort,
  kDbBlocks,
  kDbCpuTime,
  kAverageRowSize,
  kIsScheduled,
  kNumberBuckets,
  kNumberExceptionFilters,
  kClientInfo,
  kReportDescription,
  // API, RestApi, ApiTotalUsage
  kMethodName,
  kRowsProcessed,
  kRequestSize,
  kResponseSize,
  kClientName,
  kQuery,
  kExceptionMessage,
  kUserAgent,
  kMethod,
  kMediaType,
  kStatusCode,
  kNumberFields,
  kConnectedAppId,
  kApiFamily,
  kApiResource,
  kHttpMethod,
  kConnectedAppName,
  kCountsAgainstApiLimit,
  // BulkApi2
  kJobId,
  kJobStatus,
  kOperationType,
  kEntityType,
  kRecordsProcessed,
  kRecordsFailed,
  kResultSizeMb,
  kMessage,
  // ContentTransfer, DocumentAttachmentDownloads
  kDocumentId,
  kDocumentIdDerived,
  kVersionId,
  kVersionIdDerived,
  kFileType,
  kFilePreviewType,
  kSizeBytes,
  kTransactionType,
  kEntityId,
  kFileName,
  // URI
  kReferrerUri,
  kCount,
};

struct ColInfo {
  const char* name;
  const char* type;  // LogFileFieldTypes vocabulary: String, Id, Number, DateTime, Boolean, IP
};

constexpr ColInfo kColInfo[] = {
    {"EVENT_TYPE", "String"},
    {"TIMESTAMP", "String"},
    {"REQUEST_ID", "String"},
    {"ORGANIZATION_ID", "Id"},
    {"USER_ID", "Id"},
    {"RUN_TIME", "Number"},
    {"CPU_TIME", "Number"},
    {"URI", "String"},
    {"SESSION_KEY", "String"},
    {"LOGIN_KEY", "String"},
    {"TIMESTAMP_DERIVED", "DateTime"},
    {"USER_ID_DERIVED", "Id"},
    {"CLIENT_IP", "IP"},
    {"URI_ID_DERIVED", "Id"},
    {"USER_TYPE", "String"},
    {"REQUEST_STATUS", "String"},
    {"DB_TOTAL_TIME", "Number"},
    {"LOGIN_TYPE", "String"},
    {"BROWSER_TYPE", "String"},
    {"API_TYPE", "String"},
    {"API_VERSION", "Number"},
    {"USER_NAME", "String"},
    {"TLS_PROTOCOL", "String"},
    {"CIPHER_SUITE", "String"},
    {"AUTHENTICATION_METHOD_REFERENCE", "String"},
    {"LOGIN_SUB_TYPE", "String"},
    {"LOGIN_STATUS", "String"},
    {"SOURCE_IP", "IP"},
    {"SESSION_TYPE", "String"},
    {"SESSION_LEVEL", "String"},
    {"PLATFORM_TYPE", "Number"},
    {"RESOLUTION_TYPE", "Number"},
    {"APP_TYPE", "Number"},
    {"CLIENT_VERSION", "Number"},
    {"USER_INITIATED_LOGOUT", "Boolean"},
    {"DELEGATED_USER_ID", "Id"},
    {"DELEGATED_USER_NAME", "String"},
    {"DELEGATED_USER_ID_DERIVED", "Id"},
    {"REPORT_ID", "Id"},
    {"REPORT_ID_DERIVED", "Id"},
    {"ORIGIN", "String"},
    {"DISPLAY_TYPE", "String"},
    {"RENDERING_TYPE", "String"},
    {"ENTITY_NAME", "String"},
    {"ROW_COUNT", "Number"},
    {"NUMBER_COLUMNS", "Number"},
    {"SORT", "String"},
    {"DB_BLOCKS", "Number"},
    {"DB_CPU_TIME", "Number"},
    {"AVERAGE_ROW_SIZE", "Number"},
    {"IS_SCHEDULED", "Boolean"},
    {"NUMBER_BUCKETS", "Number"},
    {"NUMBER_EXCEPTION_FILTERS", "Number"},
    {"CLIENT_INFO", "String"},
    {"REPORT_DESCRIPTION", "String"},
    {"METHOD_NAME", "String"},
    {"ROWS_PROCESSED", "Number"},
    {"REQUEST_SIZE", "Number"},
    {"RESPONSE_SIZE", "Number"},
    {"CLIENT_NAME", "String"},
    {"QUERY", "String"},
    {"EXCEPTION_MESSAGE", "String"},
    {"USER_AGENT", "String"},
    {"METHOD", "String"},
    {"MEDIA_TYPE", "String"},
    {"STATUS_CODE", "Number"},
    {"NUMBER_FIELDS", "Number"},
    {"CONNECTED_APP_ID", "Id"},
    {"API_FAMILY", "String"},
    {"API_RESOURCE", "String"},
    {"HTTP_METHOD", "String"},
    {"CONNECTED_APP_NAME", "String"},
    {"COUNTS_AGAINST_API_LIMIT", "Boolean"},
    {"JOB_ID", "Id"},
    {"JOB_STATUS", "String"},
    {"OPERATION_TYPE", "String"},
    {"ENTITY_TYPE", "String"},
    {"RECORDS_PROCESSED", "Number"},
    {"RECORDS_FAILED", "Number"},
    {"RESULT_SIZE_MB", "Number"},
    {"MESSAGE", "String"},
    {"DOCUMENT_ID", "Id"},
    {"DOCUMENT_ID_DERIVED", "Id"},
    {"VERSION_ID", "Id"},
    {"VERSION_ID_DERIVED", "Id"},
    {"FILE_TYPE", "String"},
    {"FILE_PREVIEW_TYPE", "String"},
    {"SIZE_BYTES", "Number"},
    {"TRANSACTION_TYPE", "String"},
    {"ENTITY_ID", "Id"},
    {"FILE_NAME", "String"},
    {"REFERRER_URI", "String"},
};
static_assert(sizeof(kColInfo) / sizeof(kColInfo[0]) == static_cast<size_t>(Col::kCount));

// A schema is a type-level list of fields, so a row is emitted as straight-line code (each
// column's value code chosen at compile time) while names and types for the header and the
// manifest come from the same list. F<col, since>: the column and the first API version whose files
// carry it (schema drift: files of days before the simulated release are ApiVersion 61.0 and lack
// the 62-only columns).
template <Col C, int Since = 0>
struct F {
  static constexpr Col kCol = C;
  static constexpr int kSince = Since;
};
template <Col C>
using P = F<C, 0>;
template <Col C>
using N = F<C, 62>;  // new in 62.0

template <typename... Fields>
struct Schema {};

struct SchemaCol {
  Col col;
  int since;
};

template <typename... Fields>
std::vector<SchemaCol> ColumnList(Schema<Fields...>) {
  return {SchemaCol{Fields::kCol, Fields::kSince}...};
}

#define ELF_PREFIX                                                                                      \
  P<Col::kEventType>, P<Col::kTimestamp>, P<Col::kRequestId>, P<Col::kOrganizationId>, P<Col::kUserId>, \
      P<Col::kRunTime>, P<Col::kCpuTime>, P<Col::kUri>, P<Col::kSessionKey>, P<Col::kLoginKey>
#define ELF_SUFFIX P<Col::kTimestampDerived>, P<Col::kUserIdDerived>, P<Col::kClientIp>, P<Col::kUriIdDerived>

template <ElfType T>
struct SchemaOf;

// Login: the real 2023 header; LOGIN_TYPE and LOGIN_SUB_TYPE were inserted mid-row (61.0 files lack them).
template <>
struct SchemaOf<ElfType::kLogin> {
  using type =
      Schema<ELF_PREFIX, P<Col::kUserType>, P<Col::kRequestStatus>, P<Col::kDbTotalTime>, N<Col::kLoginType>,
             P<Col::kBrowserType>, P<Col::kApiType>, P<Col::kApiVersion>, P<Col::kUserName>,
             P<Col::kTlsProtocol>, P<Col::kCipherSuite>, P<Col::kAuthenticationMethodReference>,
             N<Col::kLoginSubType>, ELF_SUFFIX, P<Col::kLoginStatus>, P<Col::kSourceIp>>;
};
// Logout: the real header (no RUN_TIME/CPU_TIME/URI).
template <>
struct SchemaOf<ElfType::kLogout> {
  using type = Schema<P<Col::kEventType>, P<Col::kTimestamp>, P<Col::kRequestId>, P<Col::kOrganizationId>,
                      P<Col::kUserId>, P<Col::kUserType>, P<Col::kSessionType>, P<Col::kSessionLevel>,
                      P<Col::kBrowserType>, P<Col::kPlatformType>, P<Col::kResolutionType>, P<Col::kAppType>,
                      P<Col::kClientVersion>, P<Col::kApiType>, P<Col::kApiVersion>,
                      P<Col::kUserInitiatedLogout>, P<Col::kSessionKey>, P<Col::kLoginKey>,
                      P<Col::kTimestampDerived>, P<Col::kUserIdDerived>, P<Col::kClientIp>>;
};
template <>
struct SchemaOf<ElfType::kLoginAs> {
  using type = Schema<ELF_PREFIX, P<Col::kUserType>, P<Col::kDelegatedUserId>, P<Col::kDelegatedUserName>,
                      ELF_SUFFIX, N<Col::kDelegatedUserIdDerived>>;
};
template <>
struct SchemaOf<ElfType::kReport> {
  using type =
      Schema<ELF_PREFIX, P<Col::kRequestStatus>, P<Col::kDbTotalTime>, P<Col::kDbBlocks>, P<Col::kDbCpuTime>,
             P<Col::kReportId>, P<Col::kOrigin>, P<Col::kDisplayType>, P<Col::kRenderingType>,
             P<Col::kEntityName>, P<Col::kRowCount>, P<Col::kNumberColumns>, P<Col::kSort>,
             P<Col::kAverageRowSize>, N<Col::kIsScheduled>, P<Col::kNumberBuckets>,
             P<Col::kNumberExceptionFilters>, P<Col::kUserType>, ELF_SUFFIX, P<Col::kReportIdDerived>>;
};
template <>
struct SchemaOf<ElfType::kReportExport> {
  using type = Schema<ELF_PREFIX, P<Col::kClientInfo>, P<Col::kReportDescription>, ELF_SUFFIX>;
};
template <>
struct SchemaOf<ElfType::kApi> {
  using type =
      Schema<ELF_PREFIX, P<Col::kRequestStatus>, P<Col::kDbTotalTime>, P<Col::kApiType>, P<Col::kApiVersion>,
             P<Col::kMethodName>, P<Col::kEntityName>, P<Col::kRowsProcessed>, P<Col::kRequestSize>,
             P<Col::kResponseSize>, P<Col::kClientName>, P<Col::kQuery>, P<Col::kExceptionMessage>,
             P<Col::kDbBlocks>, P<Col::kDbCpuTime>, N<Col::kUserAgent>, P<Col::kUserType>, ELF_SUFFIX>;
};
template <>
struct SchemaOf<ElfType::kRestApi> {
  using type =
      Schema<ELF_PREFIX, P<Col::kRequestStatus>, P<Col::kDbTotalTime>, P<Col::kMethod>, P<Col::kMediaType>,
             P<Col::kStatusCode>, N<Col::kUserAgent>, P<Col::kNumberFields>, P<Col::kRowsProcessed>,
             P<Col::kEntityName>, P<Col::kResponseSize>, P<Col::kRequestSize>, P<Col::kConnectedAppId>,
             P<Col::kClientName>, P<Col::kExceptionMessage>, P<Col::kDbBlocks>, P<Col::kDbCpuTime>,
             P<Col::kUserType>, ELF_SUFFIX>;
};
template <>
struct SchemaOf<ElfType::kApiTotalUsage> {
  using type =
      Schema<ELF_PREFIX, P<Col::kApiFamily>, P<Col::kApiVersion>, P<Col::kApiResource>, P<Col::kHttpMethod>,
             P<Col::kStatusCode>, P<Col::kClientName>, P<Col::kConnectedAppId>, P<Col::kConnectedAppName>,
             P<Col::kEntityName>, N<Col::kCountsAgainstApiLimit>, P<Col::kUserName>, ELF_SUFFIX>;
};
template <>
struct SchemaOf<ElfType::kBulkApi2> {
  using type = Schema<ELF_PREFIX, P<Col::kJobId>, P<Col::kJobStatus>, P<Col::kOperationType>,
                      P<Col::kEntityType>, P<Col::kRecordsProcessed>, P<Col::kRecordsFailed>,
                      P<Col::kResultSizeMb>, P<Col::kClientName>, N<Col::kMessage>, ELF_SUFFIX>;
};
template <>
struct SchemaOf<ElfType::kContentTransfer> {
  using type = Schema<ELF_PREFIX, P<Col::kDocumentId>, P<Col::kVersionId>, P<Col::kFileType>,
                      P<Col::kFilePreviewType>, P<Col::kSizeBytes>, P<Col::kTransactionType>,
                      P<Col::kUserType>, ELF_SUFFIX, P<Col::kDocumentIdDerived>, N<Col::kVersionIdDerived>>;
};
template <>
struct SchemaOf<ElfType::kUri> {
  using type = Schema<ELF_PREFIX, P<Col::kReferrerUri>, P<Col::kRequestStatus>, P<Col::kDbTotalTime>,
                      P<Col::kDbBlocks>, P<Col::kDbCpuTime>, P<Col::kUserType>, ELF_SUFFIX>;
};
template <>
struct SchemaOf<ElfType::kDocumentAttachmentDownloads> {
  using type = Schema<ELF_PREFIX, P<Col::kEntityId>, P<Col::kFileName>, P<Col::kFileType>, ELF_SUFFIX>;
};

#undef ELF_PREFIX
#undef ELF_SUFFIX

std::vector<SchemaCol> ColumnListOf(ElfType type) {
  switch (type) {
    case ElfType::kLogin:
      return ColumnList(SchemaOf<ElfType::kLogin>::type{});
    case ElfType::kLogout:
      return ColumnList(SchemaOf<ElfType::kLogout>::type{});
    case ElfType::kLoginAs:
      return ColumnList(SchemaOf<ElfType::kLoginAs>::type{});
    case ElfType::kReport:
      return ColumnList(SchemaOf<ElfType::kReport>::type{});
    case ElfType::kReportExport:
      return ColumnList(SchemaOf<ElfType::kReportExport>::type{});
    case ElfType::kApi:
      return ColumnList(SchemaOf<ElfType::kApi>::type{});
    case ElfType::kRestApi:
      return ColumnList(SchemaOf<ElfType::kRestApi>::type{});
    case ElfType::kApiTotalUsage:
      return ColumnList(SchemaOf<ElfType::kApiTotalUsage>::type{});
    case ElfType::kBulkApi2:
      return ColumnList(SchemaOf<ElfType::kBulkApi2>::type{});
    case ElfType::kContentTransfer:
      return ColumnList(SchemaOf<ElfType::kContentTransfer>::type{});
    case ElfType::kUri:
      return ColumnList(SchemaOf<ElfType::kUri>::type{});
    case ElfType::kDocumentAttachmentDownloads:
      return ColumnList(SchemaOf<ElfType::kDocumentAttachmentDownloads>::type{});
  }
  return {};
}

constexpr std::string_view kTypeNames[kElfTypeCount] = {
    "Login",   "Logout",        "LoginAs",  "Report",          "ReportExport", "API",
    "RestApi", "ApiTotalUsage", "BulkApi2", "ContentTransfer", "URI",          "DocumentAttachmentDownloads"};

// Salts of the per-event hashes.
constexpr uint64_t kSaltRow = 0x726f77;
constexpr uint64_t kSaltLate = 0x6c617465;
constexpr uint64_t kSaltMissed = 0x6d6973736564;

// ---------------------------------------------------------------------------------------------
// Number and time formatting (hand-written: the hot path formats millions of fields per second)

inline size_t DigitCount(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Writes v right-aligned ending at `end`; returns the start.
inline char* FormatUint(uint64_t v, char* end) {
  do {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

// "00" "01" ... "99".
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline void Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
};

// Seconds since the epoch to a proleptic Gregorian UTC date and time (days to date after
// H. Hinnant's civil_from_days).
Civil CivilFromSeconds(int64_t secs) {
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const gen::CivilDate date = gen::CivilFromDays(days);
  Civil c{};
  c.day = date.day;
  c.month = date.month;
  c.year = date.year;
  c.hour = static_cast<unsigned>(rem / 3600);
  c.minute = static_cast<unsigned>(rem / 60 % 60);
  c.second = static_cast<unsigned>(rem % 60);
  return c;
}

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// "12.5", "0.0", "3.125": thousandths as a decimal with trailing zeros trimmed (at least one
// fraction digit, like Salesforce doubles). Returns the length written to buf (>= 24 bytes).
size_t FormatThousandths(uint64_t thousandths, char* buf) {
  char tmp[24];
  char* end = tmp + sizeof tmp;
  char* p = FormatUint(thousandths / 1000, end);
  size_t n = static_cast<size_t>(end - p);
  std::memcpy(buf, p, n);
  buf[n++] = '.';
  unsigned frac = static_cast<unsigned>(thousandths % 1000);
  char f[3] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
               static_cast<char>('0' + frac % 10)};
  size_t fn = 3;
  while (fn > 1 && f[fn - 1] == '0') --fn;
  std::memcpy(buf + n, f, fn);
  return n + fn;
}

// SWAR: nonzero iff one of the 8 bytes of v is '"'.
inline uint64_t HasQuote(uint64_t v) {
  const uint64_t x = v ^ 0x2222222222222222ULL;
  return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Pieces longer than 32 bytes: out of line (so the inlined short cases below stay small and the
// compiler does not size-check a path a short buffer never takes).
__attribute__((noinline)) void CopyLong(char* dst, const char* src, size_t n) { std::memcpy(dst, src, n); }

// memcpy for the short pieces a row is made of, always inline in optimized builds (no call; with
// a length known at compile time, one or two moves): overlapping moves of 4, 8 or 16 bytes;
// longer pieces go to CopyLong.
ELF_INLINE_COPY void CopySmall(char* dst, const char* src, size_t n) {
  if (n >= 8) {
    if (n > 32) {
      CopyLong(dst, src, n);
    } else if (n > 16) {
      uint64_t a, b, c, d;
      std::memcpy(&a, src, 8);
      std::memcpy(&b, src + 8, 8);
      std::memcpy(&c, src + n - 16, 8);
      std::memcpy(&d, src + n - 8, 8);
      std::memcpy(dst, &a, 8);
      std::memcpy(dst + 8, &b, 8);
      std::memcpy(dst + n - 16, &c, 8);
      std::memcpy(dst + n - 8, &d, 8);
    } else {
      uint64_t a, b;
      std::memcpy(&a, src, 8);
      std::memcpy(&b, src + n - 8, 8);
      std::memcpy(dst, &a, 8);
      std::memcpy(dst + n - 8, &b, 8);
    }
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}

// True if s contains a double quote; 8 bytes at a time.
inline bool AnyQuote(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    uint64_t found = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) found |= HasQuote(Load8(p + i));
    found |= HasQuote(Load8(p + n - 8));  // overlapping tail
    return found != 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '"') return true;
  }
  return false;
}

inline size_t CountQuotes(std::string_view s) {
  if (!AnyQuote(s)) return 0;
  size_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const void* q = std::memchr(p, '"', static_cast<size_t>(end - p));
    if (q == nullptr) break;
    ++n;
    p = static_cast<const char*>(q) + 1;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Writers. Both expose the same calls; CountWriter only adds up lengths.

class CountWriter {
 public:
  explicit CountWriter(std::vector<Checkpoint>* checkpoints) : checkpoints_(checkpoints) {}
  void Raw(const char*, size_t n) { n_ += n; }
  void Raw(std::string_view s) { n_ += s.size(); }
  template <size_t N>
  void Raw(const char (&)[N]) {
    n_ += N - 1;
  }
  void Str(std::string_view s) { n_ += s.size() + CountQuotes(s); }
  void Uint(uint64_t v) { n_ += DigitCount(v); }
  // yyyyMMddHHmmss[.S{digits}]
  void Timestamp(TimeMs, int digits) { n_ += 14 + (digits > 0 ? 1 + static_cast<size_t>(digits) : 0); }
  void IsoZ(TimeMs) { n_ += 24; }
  void Thousandths(uint64_t v) {
    char buf[32];
    n_ += FormatThousandths(v, buf);
  }
  bool Done() const { return false; }
  uint64_t count() const { return n_; }
  // Called before the rows of activity `index`.
  void AtEvent(uint64_t index, uint64_t ordinal) {
    if (checkpoints_ != nullptr && ordinal % CsvGenerator::kCheckpointEvery == 0 && ordinal != 0) {
      checkpoints_->push_back(Checkpoint{index, n_});
    }
  }

 private:
  uint64_t n_ = 0;
  std::vector<Checkpoint>* checkpoints_;
};

class StreamWriter {
 public:
  // Drops the first `skip` bytes, hands the next `limit` bytes to `sink`, then discards the rest.
  StreamWriter(CsvBufferSink& sink, uint64_t skip, uint64_t limit)
      : sink_(sink), skip_(skip), limit_(limit), done_(limit == 0) {
    if (done_) {
      Discard();
    } else {
      NextBuffer();
    }
  }

  ELF_ALWAYS_INLINE void Raw(const char* p, size_t n) {
    if (n <= cap_ - pos_) {
      CopySmall(buf_ + pos_, p, n);
      pos_ += n;
      return;
    }
    RawSlow(p, n);
  }
  ELF_ALWAYS_INLINE void Raw(std::string_view s) { Raw(s.data(), s.size()); }
  // String literals: length known at compile time (no strlen on the hot path).
  template <size_t N>
  ELF_ALWAYS_INLINE void Raw(const char (&s)[N]) {
    Raw(s, N - 1);
  }

  ELF_ALWAYS_INLINE void Str(std::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    // Fast path: copy 8 bytes at a time while looking for quotes (most values have none).
    if (n >= 8 && n + 8 <= cap_ - pos_) {
      char* out = buf_ + pos_;
      uint64_t found = 0;
      size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        const uint64_t v = Load8(p + i);
        std::memcpy(out + i, &v, 8);
        found |= HasQuote(v);
      }
      const uint64_t tail = Load8(p + n - 8);
      std::memcpy(out + n - 8, &tail, 8);
      found |= HasQuote(tail);
      if (found == 0) {
        pos_ += n;
        return;
      }
    } else if (!AnyQuote(s)) {
      Raw(p, n);
      return;
    }
    StrQuoted(s);
  }

  // Doubles the quotes of s (rare).
  __attribute__((noinline)) void StrQuoted(std::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    const char* end = p + n;
    const void* q = std::memchr(p, '"', n);
    while (q != nullptr) {
      const char* quote = static_cast<const char*>(q);
      Raw(p, static_cast<size_t>(quote - p) + 1);
      Raw("\"", 1);
      p = quote + 1;
      q = std::memchr(p, '"', static_cast<size_t>(end - p));
    }
    Raw(p, static_cast<size_t>(end - p));
  }

  ELF_ALWAYS_INLINE void Uint(uint64_t v) {
    // Most numbers in a row have 1-4 digits: written straight into the buffer, two at a time.
    if (v < 10000 && cap_ - pos_ >= 4) {
      char* out = buf_ + pos_;
      const auto x = static_cast<unsigned>(v);
      if (x < 100) {
        if (x < 10) {
          out[0] = static_cast<char>('0' + x);
          pos_ += 1;
        } else {
          std::memcpy(out, kDigitPairs + 2 * x, 2);
          pos_ += 2;
        }
      } else if (x < 1000) {
        out[0] = static_cast<char>('0' + x / 100);
        std::memcpy(out + 1, kDigitPairs + 2 * (x % 100), 2);
        pos_ += 3;
      } else {
        std::memcpy(out, kDigitPairs + 2 * (x / 100), 2);
        std::memcpy(out + 2, kDigitPairs + 2 * (x % 100), 2);
        pos_ += 4;
      }
      return;
    }
    UintSlow(v);
  }
  __attribute__((noinline)) void UintSlow(uint64_t v) {
    char tmp[24];
    char* end = tmp + sizeof tmp;
    char* p = FormatUint(v, end);
    Raw(p, static_cast<size_t>(end - p));
  }

  void Timestamp(TimeMs t, int digits) {
    const int64_t ms = Prepare(t);
    char out[18];
    std::memcpy(out, compact_, 14);
    size_t n = 14;
    if (digits > 0) {
      out[n++] = '.';
      const auto m = static_cast<unsigned>(ms);
      out[n++] = static_cast<char>('0' + m / 100);
      if (digits >= 2) out[n++] = static_cast<char>('0' + m / 10 % 10);
      if (digits >= 3) out[n++] = static_cast<char>('0' + m % 10);
    }
    Raw(out, n);
  }

  void IsoZ(TimeMs t) {
    const int64_t ms = Prepare(t);
    char out[24];
    std::memcpy(out, iso_, 19);
    out[19] = '.';
    const auto m = static_cast<unsigned>(ms);
    out[20] = static_cast<char>('0' + m / 100);
    out[21] = static_cast<char>('0' + m / 10 % 10);
    out[22] = static_cast<char>('0' + m % 10);
    out[23] = 'Z';
    Raw(out, 24);
  }

  void Thousandths(uint64_t v) {
    char buf[32];
    Raw(buf, FormatThousandths(v, buf));
  }

  bool Done() const { return done_; }
  bool aborted() const { return aborted_; }
  void AtEvent(uint64_t, uint64_t) {}

  // Hands what is buffered to the sink. Returns false once aborted.
  bool Finish() {
    Flush();
    return !aborted_;
  }

 private:
  // Formats the second of t into the caches (rows are time-ordered, so this rarely runs); returns
  // the millisecond part.
  int64_t Prepare(TimeMs t) {
    const int64_t sec = FloorDiv(t, 1000);
    if (sec != cached_sec_) {
      cached_sec_ = sec;
      const Civil c = CivilFromSeconds(sec);
      const auto y = static_cast<unsigned>(c.year < 0 ? 0 : c.year % 10000);
      Put2(compact_, y / 100);
      Put2(compact_ + 2, y % 100);
      Put2(compact_ + 4, c.month);
      Put2(compact_ + 6, c.day);
      Put2(compact_ + 8, c.hour);
      Put2(compact_ + 10, c.minute);
      Put2(compact_ + 12, c.second);
      Put2(iso_, y / 100);
      Put2(iso_ + 2, y % 100);
      iso_[4] = '-';
      Put2(iso_ + 5, c.month);
      iso_[7] = '-';
      Put2(iso_ + 8, c.day);
      iso_[10] = 'T';
      Put2(iso_ + 11, c.hour);
      iso_[13] = ':';
      Put2(iso_ + 14, c.minute);
      iso_[16] = ':';
      Put2(iso_ + 17, c.second);
    }
    return t - sec * 1000;
  }

  __attribute__((noinline)) void RawSlow(const char* p, size_t n) {
    while (n > 0) {
      size_t room = cap_ - pos_;
      if (room == 0) {
        Flush();
        room = cap_;
      }
      const size_t k = std::min(room, n);
      std::memcpy(buf_ + pos_, p, k);
      pos_ += k;
      p += k;
      n -= k;
    }
  }

  void Flush() {
    char* data = buf_;
    size_t size = pos_;
    pos_ = 0;
    if (done_ || size == 0) return;
    if (skip_ >= size) {  // the buffer is reused: nothing was handed over
      skip_ -= size;
      cap_ = Room(room_);
      return;
    }
    data += skip_;
    size -= static_cast<size_t>(skip_);
    skip_ = 0;
    if (size > limit_) size = static_cast<size_t>(limit_);
    limit_ -= size;
    if (limit_ == 0) done_ = true;
    if (size > 0 && !sink_.Commit(data, size)) {
      aborted_ = true;
      done_ = true;
    }
    if (done_) {
      Discard();
    } else {
      NextBuffer();
    }
  }

  void NextBuffer() {
    const std::span<char> room = sink_.Buffer();
    if (room.empty()) {
      aborted_ = true;
      done_ = true;
      Discard();
      return;
    }
    buf_ = room.data();
    room_ = room.size();
    cap_ = Room(room_);
  }

  // What of a lent buffer of `room` bytes to fill before handing it over: no more than the bytes
  // still to skip and to deliver, so the last buffer goes out as soon as the range is complete
  // (a ranged stream generates no row past its end).
  size_t Room(size_t room) const {
    const uint64_t wanted = skip_ + limit_;
    return wanted < room ? static_cast<size_t>(wanted) : room;
  }

  // After the end (or an abort) the rest of the current row still gets written: into a scratch
  // buffer, never into one the sink was handed.
  void Discard() {
    buf_ = scratch_;
    cap_ = sizeof scratch_;
  }

  CsvBufferSink& sink_;
  char* buf_ = nullptr;
  size_t cap_ = 0;
  size_t room_ = 0;  // size of the buffer the sink lent (cap_ may stop short of it)
  size_t pos_ = 0;
  uint64_t skip_;
  uint64_t limit_;
  bool done_;
  bool aborted_ = false;
  int64_t cached_sec_ = INT64_MIN;
  char compact_[14] = {};
  char iso_[19] = {};
  char scratch_[4096];
};

// ---------------------------------------------------------------------------------------------
// Small helpers for values derived from activity fields.

inline std::string_view Id15(std::string_view id) { return id.substr(0, std::min<size_t>(id.size(), 15)); }

// Equality with a literal: a length check, then a fixed-size compare the compiler inlines.
template <size_t N>
inline bool Eq(std::string_view s, const char (&lit)[N]) {
  return s.size() == N - 1 && std::memcmp(s.data(), lit, N - 1) == 0;
}

template <size_t N>
inline bool StartsWith(std::string_view s, const char (&prefix)[N]) {
  return s.size() >= N - 1 && std::memcmp(s.data(), prefix, N - 1) == 0;
}

inline bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

uint64_t HashString(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// "62.0" out of "/services/data/v62.0/query" or "/services/Soap/u/62.0"; empty if none.
std::string_view ApiVersionOfUri(std::string_view uri) {
  const size_t n = uri.size();
  size_t start = std::string_view::npos;
  // The two shapes nearly every call has, where the scan below would stop (the slashes before
  // the 15th character start neither pattern).
  if (StartsWith(uri, "/services/data/v") && n > 16 && uri[16] >= '0' && uri[16] <= '9') {
    start = 16;
  } else if (StartsWith(uri, "/services/Soap/") && n > 17 && uri[16] == '/' && uri[17] >= '0' && uri[17] <= '9') {
    start = 17;
  }
  for (size_t i = 0; start == std::string_view::npos && i + 2 < n; ++i) {
    if (uri[i] != '/') continue;
    if (uri[i + 1] == 'v' && uri[i + 2] >= '0' && uri[i + 2] <= '9') {
      start = i + 2;
      break;
    }
    // "/Soap/u/62.0", "/Soap/c/62.0", ...
    if (i + 8 < n && StartsWith(uri.substr(i), "/Soap/") && uri[i + 7] == '/' && uri[i + 8] >= '0' &&
        uri[i + 8] <= '9') {
      start = i + 8;
      break;
    }
  }
  if (start == std::string_view::npos) return {};
  size_t end = start;
  while (end < n && ((uri[end] >= '0' && uri[end] <= '9') || uri[end] == '.')) ++end;
  return uri.substr(start, end - start);
}

constexpr std::string_view kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 "
    "Safari/537.36 Edg/123.0.2420.81",
};

// The bulk state-change rows of one Bulk API 2.0 query job.
constexpr std::string_view kBulkStates[] = {"UploadComplete", "InProgress", "JobComplete"};
constexpr int kBulkRows = 3;

// Per-row context: the deterministic hash of (seed, type, activity index[, sub-row]) and the values
// derived from it, shared by every column.
struct RowCtx {
  ElfType type;
  uint64_t h;   // row hash
  uint64_t h2;  // a second, independent hash
  TimeMs time;  // the row's TIMESTAMP
  int sub;      // BulkApi2 state-row index, else 0
  int api;      // 61 / 62
  const CsvGenerator::UserCols* user;
  const CsvGenerator* gen;
  TimeMs hour_end;

  int TimestampDigits() const {
    const uint64_t v = (h >> 40) % 100;
    return v < 4 ? 2 : (v < 6 ? 0 : 3);
  }
  bool DerivedEmpty() const { return (h >> 48) % 100 < 3; }
  uint64_t RunTime() const { return 5 + (h >> 8) % 1800; }
  uint64_t CpuTime() const { return RunTime() * (10 + (h >> 20) % 60) / 100; }
  uint64_t DbTotalTime() const { return 1000000 + (h2 >> 4) % 1000000000; }
  uint64_t DbBlocks() const { return (h2 >> 40) % 5000; }
  uint64_t DbCpuTime() const { return (h2 >> 24) % 400; }
};

// 22-char request id for rows the platform writes itself (BulkApi2 state changes).
template <typename W>
void SyntheticRequestId(W& w, uint64_t h) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char out[26] = {'T', 'I', 'D', ':'};
  uint64_t x = h;
  for (int i = 4; i < 26; ++i) {
    if (i == 15) x = Mix64(h ^ 0x1d);
    out[i] = kAlphabet[x % 62];
    x /= 62;
  }
  w.Raw(out, sizeof out);
}

template <typename W>
void SyntheticIpv4(W& w, uint64_t h) {
  // 13.108.0.0/14: a Salesforce range, for SOURCE_IP when CLIENT_IP is "Salesforce.com IP".
  w.Raw("13.", 3);
  w.Uint(108 + (h >> 3) % 4);
  w.Raw(".", 1);
  w.Uint((h >> 11) % 256);
  w.Raw(".", 1);
  w.Uint(1 + (h >> 19) % 254);
}

// User-agent style BROWSER_TYPE from a LoginHistory-style browser ("Chrome 120") and platform.
template <typename W>
void BrowserUserAgent(W& w, const LoginActivity& a) {
  std::string_view browser = a.browser;
  std::string_view platform = a.platform;
  std::string_view plat = "Windows NT 10.0; Win64; x64";
  if (Contains(platform, "Mac"))
    plat = "Macintosh; Intel Mac OS X 10_15_7";
  else if (Contains(platform, "iOS") || Contains(platform, "iPhone"))
    plat = "iPhone; CPU iPhone OS 17_4 like Mac OS X";
  else if (Contains(platform, "Android"))
    plat = "Linux; Android 14; Pixel 8";
  else if (Contains(platform, "Linux"))
    plat = "X11; Linux x86_64";
  auto version = [&](std::string_view name) {
    std::string_view v = browser.substr(name.size());
    return v.empty() ? std::string_view("120") : v;
  };
  if (StartsWith(browser, "Chrome ")) {
    w.Raw("Mozilla/5.0 (");
    w.Raw(plat);
    w.Raw(") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/");
    w.Str(version("Chrome "));
    w.Raw(".0.0.0 Safari/537.36");
  } else if (StartsWith(browser, "Edge ")) {
    w.Raw("Mozilla/5.0 (");
    w.Raw(plat);
    w.Raw(") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/");
    w.Str(version("Edge "));
    w.Raw(".0.0.0 Safari/537.36 Edg/");
    w.Str(version("Edge "));
    w.Raw(".0.0.0");
  } else if (StartsWith(browser, "Firefox ")) {
    w.Raw("Mozilla/5.0 (");
    w.Raw(plat);
    w.Raw("; rv:");
    w.Str(version("Firefox "));
    w.Raw(".0) Gecko/20100101 Firefox/");
    w.Str(version("Firefox "));
    w.Raw(".0");
  } else if (StartsWith(browser, "Safari")) {
    w.Raw("Mozilla/5.0 (");
    w.Raw(plat);
    w.Raw(") AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15");
  } else if (browser.empty() || browser == "Unknown") {
    if (StartsWith(a.login_sub_type, "Oauth") || a.application.empty()) {
      w.Raw("Go-http-client/1.1");
    } else {
      w.Str(a.application);
    }
  } else {
    w.Str(browser);
  }
}

std::string_view LoginStatusCode(std::string_view status) {
  if (status == "Success") return "LOGIN_NO_ERROR";
  if (Contains(status, "Lock")) return "LOGIN_ERROR_PASSWORD_LOCKOUT";
  if (Contains(status, "Password")) return "LOGIN_ERROR_INVALID_PASSWORD";
  if (Contains(status, "Frozen")) return "LOGIN_ERROR_USER_FROZEN";
  if (Contains(status, "Inactive")) return "LOGIN_ERROR_USER_INACTIVE";
  if (Contains(status, "IP") || Contains(status, "Restricted")) return "LOGIN_ERROR_RESTRICTED_DOMAIN";
  if (Contains(status, "Verification") || Contains(status, "Identity")) return "LOGIN_CHALLENGE_ISSUED";
  if (Contains(status, "Username") || Contains(status, "username")) return "LOGIN_ERROR_INVALID_USERNAME";
  return "LOGIN_ERROR_INVALID_PASSWORD";
}

std::string_view LoginSubTypeCode(std::string_view sub) {
  if (sub == "UsernamePasswordUiLogin" || sub == "UiUsernamePassword") return "uiup";
  if (sub == "OauthClientCredentials" || sub == "OAuthClientCredentials") return "oauthclientcredential";
  if (sub == "OauthJwtBearer" || sub == "OAuthJwtBearer" || sub == "JwtBearer") return "oauthjwt";
  if (sub == "OauthRefreshToken" || sub == "OAuthRefreshToken") return "oauthtoken";
  if (sub == "OauthUsernamePassword" || sub == "OAuthUsernamePassword") return "oauthpassword";
  if (sub == "OauthWebServer" || sub == "OAuthAuthorizationCode") return "oauthcode";
  return {};
}

// ---------------------------------------------------------------------------------------------
// Field emitters. CommonField handles columns whose value is the same for every type; each
// TypeField handles the rest for one activity kind (unknown columns stay empty).

// `a` is an ActivityBase or an ApiCallView.
template <typename W, typename A>
ELF_ALWAYS_INLINE bool CommonField(W& w, Col col, const RowCtx& c, const A& a) {
  switch (col) {
    case Col::kEventType:
      w.Raw(kTypeNames[static_cast<int>(c.type)]);
      return true;
    case Col::kTimestamp:
      w.Timestamp(c.time, c.TimestampDigits());
      return true;
    case Col::kRequestId:
      if (c.sub > 0) {
        SyntheticRequestId(w, c.h);
      } else {
        w.Str(a.request_id);
      }
      return true;
    case Col::kOrganizationId:
      w.Raw(c.gen->org15());
      return true;
    case Col::kUserId:
      w.Raw(c.user->id15);
      return true;
    case Col::kRunTime:
      w.Uint(c.RunTime());
      return true;
    case Col::kCpuTime:
      w.Uint(c.CpuTime());
      return true;
    case Col::kSessionKey:
      w.Str(a.session_key);
      return true;
    case Col::kLoginKey:
      w.Str(a.login_key);
      return true;
    case Col::kTimestampDerived:
      if (!c.DerivedEmpty()) w.IsoZ(c.time);
      return true;
    case Col::kUserIdDerived:
      w.Raw(c.user->id18);
      return true;
    case Col::kClientIp:
      w.Str(a.client_ip);
      return true;
    case Col::kUserType:
      w.Raw(c.user->user_type);
      return true;
    case Col::kUserName:
      w.Str(c.user->username);
      return true;
    case Col::kDbTotalTime:
      w.Uint(c.DbTotalTime());
      return true;
    case Col::kDbBlocks:
      w.Uint(c.DbBlocks());
      return true;
    case Col::kDbCpuTime:
      w.Uint(c.DbCpuTime());
      return true;
    default:
      return false;
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const LoginActivity& a) {
  switch (col) {
    case Col::kSessionKey:
      break;  // Login rows carry no session key (real samples: "")
    case Col::kUri:
      w.Str(a.uri);
      break;
    case Col::kRequestStatus:
      if (!Eq(a.status, "Success")) {
        w.Raw("Failed");
      } else if (a.api_type.empty() || Eq(a.api_type, "N/A")) {
        w.Raw("Success");
      }
      break;
    case Col::kLoginType:
      w.Str(a.login_type_code);
      break;
    case Col::kBrowserType:
      BrowserUserAgent(w, a);
      break;
    case Col::kApiType:
      if (Contains(a.api_type, "Enterprise"))
        w.Raw("E");
      else if (Contains(a.api_type, "Partner") || Eq(a.api_type, "SOAP"))
        w.Raw("P");
      break;
    case Col::kApiVersion:
      if (a.api_version.empty() || Eq(a.api_version, "N/A")) {
        w.Raw("9998.0");
      } else {
        w.Str(a.api_version);
      }
      break;
    case Col::kTlsProtocol:
      if (StartsWith(a.tls_protocol, "TLS ")) {
        w.Raw("TLSv");
        w.Str(std::string_view(a.tls_protocol).substr(4));
      } else {
        w.Str(a.tls_protocol);
      }
      break;
    case Col::kCipherSuite:
      w.Str(a.cipher_suite);
      break;
    case Col::kAuthenticationMethodReference:
      break;
    case Col::kLoginSubType:
      w.Raw(LoginSubTypeCode(a.login_sub_type));
      break;
    case Col::kLoginStatus:
      w.Raw(LoginStatusCode(a.status));
      break;
    case Col::kSourceIp:
      if (Eq(a.client_ip, "Salesforce.com IP")) {
        SyntheticIpv4(w, c.h2);
      } else {
        w.Str(a.client_ip);
      }
      break;
    default:
      break;
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const LogoutActivity& a) {
  switch (col) {
    case Col::kUserType:
      w.Raw(c.user->user_type_code);
      break;
    case Col::kSessionType:
      if (Eq(a.session_type, "UI"))
        w.Raw("U");
      else if (Eq(a.session_type, "API"))
        w.Raw("A");
      else if (Contains(a.session_type, "Auth"))
        w.Raw("O");
      else if (!a.session_type.empty())
        w.Str(std::string_view(a.session_type).substr(0, 1));
      break;
    case Col::kSessionLevel:
      w.Raw(Eq(a.session_level, "HIGH_ASSURANCE") ? "2" : (Eq(a.session_level, "LOW") ? "0" : "1"));
      break;
    case Col::kBrowserType:
      w.Raw(kUserAgents[HashString(a.login_key) % 4]);
      break;
    case Col::kPlatformType:
      w.Raw("1015");
      break;
    case Col::kResolutionType:
      w.Raw("9999");
      break;
    case Col::kAppType:
      w.Raw("1000");
      break;
    case Col::kClientVersion:
      w.Raw("9998");
      break;
    case Col::kApiType:
      w.Raw("f");
      break;
    case Col::kApiVersion:
      w.Raw(c.gen->api_version_text(c.api));
      break;
    case Col::kUserInitiatedLogout:
      w.Raw(a.user_initiated ? "1" : "0");
      break;
    default:
      break;
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const LoginAsActivity& a) {
  switch (col) {
    case Col::kUri:
      w.Raw("/servlet/servlet.su");
      break;
    case Col::kDelegatedUserId:
      w.Raw(c.gen->User(a.delegated_user).id15);
      break;
    case Col::kDelegatedUserName:
      w.Str(c.gen->User(a.delegated_user).username);
      break;
    case Col::kDelegatedUserIdDerived:
      w.Raw(c.gen->User(a.delegated_user).id18);
      break;
    default:
      break;
  }
}

template <typename W>
void ReportUri(W& w, const RowCtx& c, const ReportActivity& a, bool export_file) {
  if (export_file) {
    w.Raw("/");
    w.Str(Id15(a.report_id));
    w.Raw("?export=1&enc=UTF-8&xf=");
    w.Str(a.format.empty() || Eq(a.format, "printable") ? std::string_view("csv")
                                                        : std::string_view(a.format));
  } else if (Eq(a.event_source, "Lightning")) {
    w.Raw("/lightning/r/Report/");
    w.Str(a.report_id);
    w.Raw("/view");
  } else if (Eq(a.event_source, "API")) {
    w.Raw("/services/data/v");
    w.Raw(c.gen->api_version_text(c.api));
    w.Raw("/analytics/reports/");
    w.Str(a.report_id);
  } else {
    w.Raw("/");
    w.Str(Id15(a.report_id));
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const ReportActivity& a) {
  switch (col) {
    case Col::kUri:
      ReportUri(w, c, a, c.type == ElfType::kReportExport);
      break;
    case Col::kUriIdDerived:
    case Col::kReportIdDerived:
      w.Str(a.report_id);
      break;
    case Col::kRequestStatus:
      w.Raw("S");
      break;
    case Col::kReportId:
      w.Str(Id15(a.report_id));
      break;
    case Col::kOrigin:
      if (a.exported)
        w.Raw("ReportExported");
      else if (Eq(a.event_source, "Lightning"))
        w.Raw("ReportRunFromLightning");
      else if (Eq(a.event_source, "API"))
        w.Raw("ReportRunUsingSynchronousApi");
      else
        w.Raw("ReportRunFromClassic");
      break;
    case Col::kDisplayType:
      w.Raw((c.h2 & 3) == 0 ? "H" : "S");
      break;
    case Col::kRenderingType:
      if (Eq(a.format, "csv"))
        w.Raw("C");
      else if (Eq(a.format, "xlsx"))
        w.Raw("X");
      else if (Eq(a.format, "printable"))
        w.Raw("P");
      else if (Eq(a.event_source, "Classic"))
        w.Raw("W");
      break;
    case Col::kEntityName:
      w.Str(a.entity);
      break;
    case Col::kRowCount:
      w.Uint(a.rows);
      break;
    case Col::kNumberColumns:
      w.Uint(a.columns);
      break;
    case Col::kSort:
      if ((c.h2 >> 2) % 3 == 0) w.Raw("CREATED_DATE DESC");
      break;
    case Col::kAverageRowSize:
      w.Uint(uint64_t{a.columns} * 24 + (c.h2 >> 8) % 64);
      break;
    case Col::kIsScheduled:
      w.Raw("0");
      break;
    case Col::kNumberBuckets:
    case Col::kNumberExceptionFilters:
      w.Raw("0");
      break;
    case Col::kClientInfo:
      w.Raw(kUserAgents[HashString(a.login_key) % 4]);
      break;
    case Col::kReportDescription:
      // A deterministic minority carries a value in quotes: "Name" -> """Name""" in the CSV.
      if ((c.h2 >> 12) % 6 == 0) {
        w.Raw("\"\"", 2);
        w.Str(a.report_name);
        w.Raw("\"\"", 2);
      } else {
        w.Str(a.report_name);
      }
      break;
    default:
      break;
  }
}

// EXCEPTION_MESSAGE for failed API calls (quotes and commas inside, as real messages have).
template <typename W>
void ApiExceptionMessage(W& w, const ApiCallView& a) {
  if (a.status_code < 400) return;
  if (a.status_code == 401) {
    w.Raw("INVALID_SESSION_ID: Session expired or invalid");
  } else if (a.status_code == 403) {
    w.Raw("REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.");
  } else if (a.status_code >= 500) {
    w.Raw("QUERY_TIMEOUT: Your query request was running for too long.");
  } else {
    w.Raw("INVALID_FIELD: No such column \"\"Foo__c\"\" on entity \"\"");
    w.Str(a.entity);
    w.Raw("\"\", or it is not accessible");
  }
}

template <typename W>
void ApiVersionOf(W& w, const RowCtx& c, const ApiCallView& a) {
  const std::string_view v = ApiVersionOfUri(a.uri);
  if (v.empty()) {
    w.Raw(c.gen->api_version_text(c.api));
  } else {
    w.Raw(v);
  }
}

// API calls are read through ApiCallCursor views (see EmitRows).
template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const ApiCallView& a) {
  // (per-row facts are evaluated inside the cases that need them: this runs once per column)
  switch (col) {
    case Col::kUri:
      w.Str(a.uri);
      break;
    case Col::kRequestStatus:
      w.Raw(a.status_code < 400 ? "S" : "F");
      break;
    case Col::kApiType:
      w.Raw(Contains(a.uri, "/Soap/c/") ? "E" : "P");
      break;
    case Col::kApiVersion:
      ApiVersionOf(w, c, a);
      break;
    case Col::kMethodName:
      w.Str(a.method);
      break;
    case Col::kEntityName:
      w.Str(a.entity);
      break;
    case Col::kRowsProcessed:
      w.Uint(a.rows);
      break;
    case Col::kRequestSize:
      w.Uint(Eq(a.method, "GET") ? 0 : 180 + a.query.size() + (c.h2 >> 16) % 300);
      break;
    case Col::kResponseSize:
      w.Uint(a.response_bytes);
      break;
    case Col::kClientName:
      w.Str(a.client_name);
      break;
    case Col::kQuery: {
      // A deterministic minority has the SOQL broken over two lines (a newline inside quotes).
      const std::string_view q = a.query;
      const size_t from = (c.h2 >> 28) % 5 == 0 ? q.find(" FROM ") : std::string_view::npos;
      if (from == std::string_view::npos) {
        w.Str(q);
      } else {
        w.Str(q.substr(0, from));
        w.Raw("\n", 1);
        w.Str(q.substr(from + 1));
      }
      break;
    }
    case Col::kExceptionMessage:
      ApiExceptionMessage(w, a);
      break;
    case Col::kUserAgent:
      w.Str(a.user_agent);
      break;
    case Col::kMethod:
      w.Str(a.method);
      break;
    case Col::kMediaType:
      w.Raw("application/json;charset=UTF-8");
      break;
    case Col::kStatusCode:
      w.Uint(static_cast<uint64_t>(a.status_code < 0 ? 0 : a.status_code));
      break;
    case Col::kNumberFields:
      w.Uint(2 + (c.h2 >> 32) % 30);
      break;
    case Col::kConnectedAppId:
      w.Str(Id15(a.connected_app_id));
      break;
    case Col::kApiFamily:
      w.Str(a.api_family);
      break;
    case Col::kApiResource:
      if (Eq(a.api_family, "REST")) {
        std::string_view r = a.uri;
        if (StartsWith(r, "/services/data")) r.remove_prefix(14);
        w.Str(r);
      } else {
        w.Str(a.method);
      }
      break;
    case Col::kHttpMethod:
      if (Eq(a.api_family, "REST")) {
        w.Str(a.method);
      } else {
        w.Raw("POST");
      }
      break;
    case Col::kConnectedAppName:
      w.Str(a.connected_app_name);
      break;
    case Col::kCountsAgainstApiLimit:
      w.Raw(a.status_code == 403 ? "0" : "1");
      break;
    default:
      break;
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const BulkJobActivity& a) {
  switch (col) {
    case Col::kUri:
      w.Raw("/services/data/v");
      w.Raw(c.gen->api_version_text(c.api));
      w.Raw("/jobs/query");
      if (c.sub > 0) {
        w.Raw("/");
        w.Str(a.job_id);
      }
      break;
    case Col::kJobId:
      w.Str(Id15(a.job_id));
      break;
    case Col::kJobStatus:
      w.Raw(kBulkStates[c.sub]);
      break;
    case Col::kOperationType:
      w.Str(a.operation);
      break;
    case Col::kEntityType:
      w.Str(a.entity);
      break;
    case Col::kRecordsProcessed:
      w.Uint(c.sub == kBulkRows - 1 ? a.rows : 0);
      break;
    case Col::kRecordsFailed:
      w.Raw("0");
      break;
    case Col::kResultSizeMb: {
      const double mb = c.sub == kBulkRows - 1 && a.result_size_mb > 0 ? a.result_size_mb : 0.0;
      w.Thousandths(static_cast<uint64_t>(mb * 1000.0 + 0.5));
      break;
    }
    case Col::kClientName:
      w.Str(a.client_name);
      break;
    case Col::kMessage:
      if (c.sub == kBulkRows - 1 && (c.h2 >> 5) % 4 == 0) {
        w.Raw("Results ready for \"\"");
        w.Str(a.entity);
        w.Raw("\"\", locator: null");
      }
      break;
    default:
      break;
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const ContentTransferActivity& a) {
  const bool attachment = c.type == ElfType::kDocumentAttachmentDownloads;
  switch (col) {
    case Col::kUri:
      if (attachment) {
        w.Raw("/servlet/servlet.FileDownload?file=00P");
        w.Str(Id15(a.document_id).substr(std::min<size_t>(3, Id15(a.document_id).size())));
      } else if (Eq(a.transaction_type, "VersionDownloadApi")) {
        w.Raw("/services/data/v");
        w.Raw(c.gen->api_version_text(c.api));
        w.Raw("/sobjects/ContentVersion/");
        w.Str(a.version_id);
        w.Raw("/VersionData");
      } else if (Contains(a.transaction_type, "Rendition")) {
        w.Raw("/sfc/servlet.shepherd/version/renditionDownload");
      } else if (Eq(a.transaction_type, "saveVersion")) {
        w.Raw("/sfc/servlet.shepherd/version/upload");
      } else {
        w.Raw("/sfc/servlet.shepherd/version/download/");
        w.Str(a.version_id);
      }
      break;
    case Col::kUriIdDerived:
      if (!attachment) w.Str(a.version_id);
      break;
    case Col::kDocumentId:
      w.Str(Id15(a.document_id));
      break;
    case Col::kDocumentIdDerived:
      w.Str(a.document_id);
      break;
    case Col::kVersionId:
      w.Str(Id15(a.version_id));
      break;
    case Col::kVersionIdDerived:
      w.Str(a.version_id);
      break;
    case Col::kFileType:
      w.Str(a.file_type);
      break;
    case Col::kFilePreviewType:
      if (Contains(a.transaction_type, "Rendition")) w.Raw("THUMB720BY480");
      break;
    case Col::kSizeBytes:
      w.Uint(a.size_bytes);
      break;
    case Col::kTransactionType:
      w.Str(a.transaction_type);
      break;
    case Col::kEntityId:
      w.Raw("00P");
      w.Str(Id15(a.document_id).substr(std::min<size_t>(3, Id15(a.document_id).size())));
      break;
    case Col::kFileName: {
      static constexpr std::string_view kNames[] = {"Discharge summary, final",     "Lab results",
                                                    "Referral letter - Dr. O'Neil", "Consent form (signed)",
                                                    "Imaging report, CT abdomen",   "Insurance card"};
      w.Raw(kNames[(c.h2 >> 6) % 6]);
      w.Raw(".");
      if (a.file_type.empty()) {
        w.Raw("pdf");
      } else {
        // lower-case the extension without allocating
        char ext[16];
        const size_t n = std::min<size_t>(a.file_type.size(), sizeof ext);
        for (size_t i = 0; i < n; ++i) {
          const char ch = a.file_type[i];
          ext[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        }
        w.Str(std::string_view(ext, n));
      }
      break;
    }
    default:
      break;
  }
}

template <typename W>
ELF_ALWAYS_INLINE void TypeField(W& w, Col col, const RowCtx& c, const UriActivity& a) {
  switch (col) {
    case Col::kUri:
      w.Str(a.uri);
      break;
    case Col::kReferrerUri:
      w.Str(a.referrer_uri);
      break;
    case Col::kRequestStatus:
      w.Raw((c.h2 & 31) == 0 ? "R" : "S");
      break;
    default:
      break;
  }
}

// Type filters: which activities of the source sequence become rows of the type.
inline bool Matches(ElfType, const LoginActivity&) { return true; }
inline bool Matches(ElfType, const LogoutActivity&) { return true; }
inline bool Matches(ElfType, const LoginAsActivity&) { return true; }
inline bool Matches(ElfType type, const ReportActivity& a) {
  return type != ElfType::kReportExport || a.exported;
}
inline bool Matches(ElfType type, const ApiCallView& a) {
  if (type == ElfType::kApi) return Eq(a.api_family, "SOAP");
  if (type == ElfType::kRestApi) return Eq(a.api_family, "REST");
  return true;
}
inline bool Matches(ElfType type, const ApiActivity& a) { return Matches(type, ViewOf(a)); }
inline bool Matches(ElfType, const BulkJobActivity&) { return true; }
inline bool Matches(ElfType type, const ContentTransferActivity& a) {
  if (type != ElfType::kDocumentAttachmentDownloads) return true;
  // Document & attachment downloads: a deterministic third of the downloaded documents.
  return Contains(a.transaction_type, "Download") && !Contains(a.transaction_type, "Rendition") &&
         HashString(a.document_id) % 3 == 0;
}
inline bool Matches(ElfType, const UriActivity&) { return true; }
inline bool Matches(ElfType, const ListViewActivity&) { return false; }

// Whether the type filters its source sequence (so existence needs a look at the activities).
bool Filtered(ElfType type) {
  return type == ElfType::kReportExport || type == ElfType::kApi || type == ElfType::kRestApi ||
         type == ElfType::kDocumentAttachmentDownloads;
}

inline bool Picked(Pick pick, uint64_t seed, ElfType type, uint64_t index) {
  switch (pick) {
    case Pick::kAll:
      return true;
    case Pick::kOnTime:
      return !IsLate(seed, type, index);
    case Pick::kLate:
      return IsLate(seed, type, index);
    case Pick::kNotMissed:
      return !IsMissed(seed, type, index);
  }
  return true;
}

inline bool Flagged(Flag flag, uint64_t seed, ElfType type, uint64_t index) {
  switch (flag) {
    case Flag::kNone:
      return false;
    case Flag::kLate:
      return IsLate(seed, type, index);
    case Flag::kMissed:
      return IsMissed(seed, type, index);
  }
  return false;
}

constexpr int64_t kHourMs = 3600 * 1000;

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view ElfTypeName(ElfType type) { return kTypeNames[static_cast<int>(type)]; }

bool ElfTypeIsFree(ElfType type) {
  return type == ElfType::kLogin || type == ElfType::kLogout || type == ElfType::kApiTotalUsage;
}

bool IsLate(uint64_t seed, ElfType type, uint64_t index) {
  return Hash(seed, static_cast<uint64_t>(type) + 1, index, kSaltLate) % 6 == 0;
}

bool IsMissed(uint64_t seed, ElfType type, uint64_t index) {
  return Hash(seed, static_cast<uint64_t>(type) + 1, index, kSaltMissed) % 12 == 0;
}

std::string IdTo18(std::string_view id15) {
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string out(id15);
  if (id15.size() != 15) return out;
  for (int chunk = 0; chunk < 3; ++chunk) {
    int bits = 0;
    for (int i = 0; i < 5; ++i) {
      const char ch = id15[static_cast<size_t>(chunk * 5 + i)];
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    out.push_back(kSuffix[bits]);
  }
  return out;
}

CsvGenerator::CsvGenerator(const OrgConfig& config, const Activity& activity,
                           const std::vector<UserInfo>& users)
    : seed_(config.seed), activity_(activity) {
  org15_ = config.org_id.substr(0, std::min<size_t>(config.org_id.size(), 15));
  users_.reserve(users.size());
  for (const UserInfo& u : users) {
    UserCols c;
    c.id18 = IdTo18(u.id);
    c.id15 = c.id18.substr(0, std::min<size_t>(c.id18.size(), 15));
    c.username = u.username;
    c.user_type = u.user_type.empty() ? "Standard" : u.user_type;
    c.user_type_code = c.user_type == "Standard" ? "S" : (c.user_type == "Guest" ? "G" : "X");
    users_.push_back(std::move(c));
  }
  unknown_user_.user_type = "Standard";
  unknown_user_.user_type_code = "S";

  for (int t = 0; t < kElfTypeCount; ++t) {
    const std::vector<SchemaCol> cols = ColumnListOf(static_cast<ElfType>(t));
    for (int v = 0; v < 2; ++v) {
      const int api = v == 0 ? 61 : 62;
      SchemaText& s = schemas_[static_cast<size_t>(t)][static_cast<size_t>(v)];
      for (const SchemaCol& sc : cols) {
        if (sc.since > api) continue;
        const ColInfo& info = kColInfo[static_cast<int>(sc.col)];
        if (!s.names.empty()) {
          s.header += ',';
          s.names += ',';
          s.types += ',';
        }
        s.header += '"';
        s.header += info.name;
        s.header += '"';
        s.names += info.name;
        s.types += info.type;
      }
      s.header += '\n';
    }
  }
}

const CsvGenerator::UserCols& CsvGenerator::User(uint32_t index) const {
  return index < users_.size() ? users_[index] : unknown_user_;
}

const CsvGenerator::SchemaText& CsvGenerator::SchemaFor(ElfType type, int api_version) const {
  return schemas_[static_cast<size_t>(type)][api_version >= 62 ? 1 : 0];
}

const std::string& CsvGenerator::FieldNames(ElfType type, int api_version) const {
  return SchemaFor(type, api_version).names;
}

const std::string& CsvGenerator::FieldTypes(ElfType type, int api_version) const {
  return SchemaFor(type, api_version).types;
}

std::string_view CsvGenerator::Header(ElfType type, int api_version) const {
  return SchemaFor(type, api_version).header;
}

template <typename A>
ScanResult CsvGenerator::ScanSequence(ElfType type, TimeMs begin, TimeMs end, Flag flag,
                                      const Sequence<A>& sequence, bool filtered) const {
  ScanResult r;
  const uint64_t b = sequence.LowerBound(begin);
  const uint64_t e = sequence.LowerBound(end);
  if (b >= e) return r;
  if (!filtered && flag == Flag::kNone) {
    r.any = true;
    return r;
  }
  for (uint64_t i = b; i < e; ++i) {
    const bool flagged = Flagged(flag, seed_, type, i);
    if (flag != Flag::kNone && (flagged ? r.flagged : r.unflagged)) continue;  // nothing new to learn
    if (filtered && !Matches(type, sequence.At(i))) continue;
    r.any = true;
    if (flagged) {
      r.flagged = true;
    } else {
      r.unflagged = true;
    }
    if (flag == Flag::kNone || (r.flagged && r.unflagged)) break;
  }
  return r;
}

ScanResult CsvGenerator::Scan(ElfType type, TimeMs begin, TimeMs end, Flag flag) const {
  const bool filtered = Filtered(type);
  switch (type) {
    case ElfType::kLogin:
      return ScanSequence(type, begin, end, flag, activity_.Logins(), filtered);
    case ElfType::kLogout:
      return ScanSequence(type, begin, end, flag, activity_.Logouts(), filtered);
    case ElfType::kLoginAs:
      return ScanSequence(type, begin, end, flag, activity_.LoginAs(), filtered);
    case ElfType::kReport:
    case ElfType::kReportExport:
      return ScanSequence(type, begin, end, flag, activity_.Reports(), filtered);
    case ElfType::kApi:
    case ElfType::kRestApi:
    case ElfType::kApiTotalUsage:
      return ScanSequence(type, begin, end, flag, activity_.ApiCalls(), filtered);
    case ElfType::kBulkApi2:
      return ScanSequence(type, begin, end, flag, activity_.BulkJobs(), filtered);
    case ElfType::kContentTransfer:
    case ElfType::kDocumentAttachmentDownloads:
      return ScanSequence(type, begin, end, flag, activity_.ContentTransfers(), filtered);
    case ElfType::kUri:
      return ScanSequence(type, begin, end, flag, activity_.UriViews(), filtered);
  }
  return {};
}

namespace {

template <ElfType T, typename Fld, bool kFirst, typename W, typename A>
ELF_ALWAYS_INLINE void EmitField(W& w, const RowCtx& c, const A& a) {
  if constexpr (Fld::kSince > 0) {
    if (c.api < Fld::kSince) return;
  }
  if constexpr (!kFirst) w.Raw("\",\"");
  constexpr Col kC = Fld::kCol;
  // Columns that are common but whose value is type-specific go straight to TypeField.
  constexpr bool kTypeSpecific = kC == Col::kUri || kC == Col::kUriIdDerived ||
                                 (kC == Col::kSessionKey && T == ElfType::kLogin) ||
                                 (kC == Col::kUserType && T == ElfType::kLogout);
  if constexpr (kTypeSpecific) {
    TypeField(w, kC, c, a);
  } else {
    if (!CommonField(w, kC, c, a)) TypeField(w, kC, c, a);
  }
}

template <ElfType T, typename W, typename A, typename... Fields, size_t... I>
ELF_ALWAYS_INLINE void EmitFields(W& w, const RowCtx& c, const A& a, Schema<Fields...>,
                                  std::index_sequence<I...>) {
  (EmitField<T, Fields, I == 0>(w, c, a), ...);
}

template <ElfType T, typename W, typename A, typename... Fields>
void EmitRow(W& w, const RowCtx& c, const A& a, Schema<Fields...> schema) {
  w.Raw("\"");
  EmitFields<T>(w, c, a, schema, std::index_sequence_for<Fields...>{});
  w.Raw("\"\n");
}

// Every row of the slice: the events of [begin, end) the pick and the type filter keep, in order.
template <ElfType T, typename W, typename A>
void EmitRows(const CsvGenerator& gen, W& w, const Slice& slice, const Sequence<A>& sequence,
              const Checkpoint* from) {
  const uint64_t seed = gen.seed();
  const uint64_t b = sequence.LowerBound(slice.begin);
  const uint64_t e = sequence.LowerBound(slice.end);
  constexpr int kRowsPer = T == ElfType::kBulkApi2 ? kBulkRows : 1;
  // API calls (most of the bytes) come as views from a cursor: no copies, caches kept between rows.
  constexpr bool kApiCalls = std::is_same_v<A, ApiActivity>;
  std::unique_ptr<ApiCallCursor> cursor;
  if constexpr (kApiCalls) cursor = gen.activity().ApiCallViews();
  for (uint64_t i = from != nullptr ? std::max(from->index, b) : b; i < e && !w.Done(); ++i) {
    w.AtEvent(i, i - b);
    if (!Picked(slice.pick, seed, T, i)) continue;
    const auto& a = [&]() -> std::conditional_t<kApiCalls, const ApiCallView&, A> {
      if constexpr (kApiCalls) {
        return cursor->At(i);
      } else {
        return sequence.At(i);
      }
    }();
    if (!Matches(T, a)) continue;
    RowCtx c{};
    c.type = T;
    c.api = slice.api_version;
    c.user = &gen.User(a.user);
    c.gen = &gen;
    c.hour_end = (FloorDiv(a.time, kHourMs) + 1) * kHourMs;
    const uint64_t base = Hash(seed, static_cast<uint64_t>(T) + 1, i, kSaltRow);
    TimeMs t = a.time;
    for (int sub = 0; sub < kRowsPer; ++sub) {
      c.sub = sub;
      c.h = sub == 0 ? base : Mix64(base + static_cast<uint64_t>(sub));
      c.h2 = Mix64(c.h ^ 0x5bd1e995);
      if (sub > 0) {
        // State changes follow the job's start by seconds to minutes, within the same hour.
        const TimeMs step =
            sub == 1 ? 1000 + static_cast<TimeMs>(c.h2 % 4000) : 2000 + static_cast<TimeMs>(c.h2 % 600000);
        t = std::min(t + step, c.hour_end - 1);
      }
      c.time = t;
      EmitRow<T>(w, c, a, typename SchemaOf<T>::type{});
    }
  }
}

}  // namespace

template <typename Writer>
void CsvGenerator::Generate(Writer& w, const Slice& slice, const Checkpoint* from) const {
  if (from == nullptr) w.Raw(Header(slice.type, slice.api_version));
  switch (slice.type) {
    case ElfType::kLogin:
      EmitRows<ElfType::kLogin>(*this, w, slice, activity_.Logins(), from);
      break;
    case ElfType::kLogout:
      EmitRows<ElfType::kLogout>(*this, w, slice, activity_.Logouts(), from);
      break;
    case ElfType::kLoginAs:
      EmitRows<ElfType::kLoginAs>(*this, w, slice, activity_.LoginAs(), from);
      break;
    case ElfType::kReport:
      EmitRows<ElfType::kReport>(*this, w, slice, activity_.Reports(), from);
      break;
    case ElfType::kReportExport:
      EmitRows<ElfType::kReportExport>(*this, w, slice, activity_.Reports(), from);
      break;
    case ElfType::kApi:
      EmitRows<ElfType::kApi>(*this, w, slice, activity_.ApiCalls(), from);
      break;
    case ElfType::kRestApi:
      EmitRows<ElfType::kRestApi>(*this, w, slice, activity_.ApiCalls(), from);
      break;
    case ElfType::kApiTotalUsage:
      EmitRows<ElfType::kApiTotalUsage>(*this, w, slice, activity_.ApiCalls(), from);
      break;
    case ElfType::kBulkApi2:
      EmitRows<ElfType::kBulkApi2>(*this, w, slice, activity_.BulkJobs(), from);
      break;
    case ElfType::kContentTransfer:
      EmitRows<ElfType::kContentTransfer>(*this, w, slice, activity_.ContentTransfers(), from);
      break;
    case ElfType::kDocumentAttachmentDownloads:
      EmitRows<ElfType::kDocumentAttachmentDownloads>(*this, w, slice, activity_.ContentTransfers(), from);
      break;
    case ElfType::kUri:
      EmitRows<ElfType::kUri>(*this, w, slice, activity_.UriViews(), from);
      break;
  }
}

uint64_t CsvGenerator::Length(const Slice& slice, std::vector<Checkpoint>* checkpoints) const {
  CountWriter w(checkpoints);
  Generate(w, slice, nullptr);
  return w.count();
}

bool CsvGenerator::StreamTo(const Slice& slice, uint64_t offset, uint64_t length, CsvBufferSink& sink,
                            const std::vector<Checkpoint>* checkpoints) const {
  if (length == 0) return true;
  // The last restart point at or before `offset`.
  const Checkpoint* from = nullptr;
  if (checkpoints != nullptr && !checkpoints->empty()) {
    const auto it = std::upper_bound(checkpoints->begin(), checkpoints->end(), offset,
                                     [](uint64_t value, const Checkpoint& c) { return value < c.byte; });
    if (it != checkpoints->begin()) from = &*(it - 1);
  }
  StreamWriter w(sink, from != nullptr ? offset - from->byte : offset, length);
  Generate(w, slice, from);
  return w.Finish();
}

namespace {

// Lends one buffer of kChunkSize bytes and passes what is written there to a ChunkSink.
class ChunkSinkAdapter final : public CsvBufferSink {
 public:
  explicit ChunkSinkAdapter(const ChunkSink& sink) : sink_(sink), buffer_(new char[CsvGenerator::kChunkSize]) {}
  std::span<char> Buffer() override { return {buffer_.get(), CsvGenerator::kChunkSize}; }
  bool Commit(char* data, size_t size) override { return sink_(data, size); }

 private:
  const ChunkSink& sink_;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace

bool CsvGenerator::Stream(const Slice& slice, uint64_t offset, uint64_t length, const ChunkSink& sink,
                          const std::vector<Checkpoint>* checkpoints) const {
  ChunkSinkAdapter adapter(sink);
  return StreamTo(slice, offset, length, adapter, checkpoints);
}

}  // namespace custody::sim::elf
