#pragma once

#include "bundle/seal.h"

namespace custody::cli {

// Version, commit, binary hash, compiler and library versions of this build.
bundle::ToolInfo CurrentToolInfo();
std::string VersionString();

}  // namespace custody::cli
