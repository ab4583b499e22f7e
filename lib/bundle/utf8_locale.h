#pragma once
// libarchive converts entry names through the calling thread's locale codeset. Bundle names are
// UTF-8 bytes; under the C locale libarchive cannot translate a non-ASCII name to the UTF-8 a pax
// header needs. This scope makes the thread's LC_CTYPE C.UTF-8 while libarchive works, without
// touching the process-wide locale. Time and number formatting are not affected (LC_CTYPE only).

#include <locale.h>

namespace custody::bundle {

class Utf8CtypeScope {
 public:
  Utf8CtypeScope() : locale_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    if (locale_ != static_cast<locale_t>(nullptr)) previous_ = ::uselocale(locale_);
  }
  ~Utf8CtypeScope() {
    if (locale_ != static_cast<locale_t>(nullptr)) {
      ::uselocale(previous_);
      ::freelocale(locale_);
    }
  }
  Utf8CtypeScope(const Utf8CtypeScope&) = delete;
  Utf8CtypeScope& operator=(const Utf8CtypeScope&) = delete;

 private:
  locale_t locale_;
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

}  // namespace custody::bundle
