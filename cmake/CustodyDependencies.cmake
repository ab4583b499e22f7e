# Every dependency is a Debian package; README's set-up command installs them.
find_package(OpenSSL 3.0 REQUIRED)
find_package(LibArchive 3.6 REQUIRED)
find_package(RapidJSON REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(Threads REQUIRED)
if(CUSTODY_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED CONFIG)
endif()

# RapidJSON's Debian config exports include dirs only; wrap them in a target.
if(NOT TARGET custody_rapidjson)
  add_library(custody_rapidjson INTERFACE)
  target_include_directories(custody_rapidjson SYSTEM INTERFACE ${RapidJSON_INCLUDE_DIRS} ${RAPIDJSON_INCLUDE_DIRS})
  target_compile_definitions(custody_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()
