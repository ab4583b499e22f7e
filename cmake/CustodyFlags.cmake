# Compiler flags live in one INTERFACE target that every target links PRIVATE.
add_library(custody_warnings INTERFACE)
target_compile_options(custody_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wformat=2 -Werror=format-security
  $<$<BOOL:${CUSTODY_WARNINGS_AS_ERRORS}>:-Werror>)

if(CUSTODY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# The tool version and the git commit it was built from go into every bundle's metadata.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE CUSTODY_GIT_COMMIT
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT CUSTODY_GIT_COMMIT)
  set(CUSTODY_GIT_COMMIT "unknown")
endif()
