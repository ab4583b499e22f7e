// Placeholder so the server test binary builds before its first real test; delete when adding one.
#include <catch2/catch.hpp>
