#pragma once
// Text rules for BagIt tag files and payload names: tag files decoded from the encoding bagit.txt
// declares, and the name comparisons file systems make behind a bag's back (Unicode normalization,
// letter case) or the files they add to it (operating-system housekeeping files).

#include <string>
#include <string_view>

#include "core/error.h"

namespace custody::verify {

// True for "UTF-8" in any letter case: tag files custody reads without conversion.
bool IsUtf8Name(std::string_view encoding);

// True when `encoding` is a plain character-set name (no iconv "//" suffixes) that iconv can
// convert to UTF-8.
bool IsKnownTagEncoding(std::string_view encoding);

// A tag file's bytes as UTF-8 text. UTF-8 input must be valid and must not start with a
// byte-order mark. Other encodings go through iconv; a leading byte-order mark, which is how
// UTF-16 and UTF-32 state their byte order, is dropped. Errors: kInvalidArgument for an encoding
// IsKnownTagEncoding rejects, kParse for bytes that are not valid in the encoding.
Result<std::string> DecodeTagText(std::string_view bytes, std::string_view encoding);

// Equal for names that are canonically equivalent (NFC and NFD spellings of the same name) as far
// as the precomposed letters of Latin-1 Supplement and Latin Extended-A go; any other byte,
// including invalid UTF-8, is kept as it is.
std::string NormalizationKey(std::string_view name);

// NormalizationKey with letters folded to lower case (ASCII, Latin-1 Supplement, Latin Extended-A):
// equal for names a case-insensitive file system treats as one.
std::string CaseFoldKey(std::string_view name);

// "macOS" or "Windows" when a component of `path` is a file or folder that system creates for its
// own use (.DS_Store, AppleDouble "._" files, Thumbs.db, desktop.ini, ...); "" otherwise.
std::string_view SystemFileOrigin(std::string_view path);

}  // namespace custody::verify
