// Placeholder so the query test binary builds before its first real test; delete when adding one.
#include <catch2/catch.hpp>
