#include <csignal>
#include <iostream>
#include <new>

#include "commands.h"
#include "exit_codes.h"

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted.store(true); }
}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa{};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  try {
    return custody::cli::Main(std::cout, std::cerr, argc, argv, &g_interrupted);
  } catch (const std::bad_alloc&) {
    std::cerr << "custody: out of memory\n";
    return custody::cli::kExitFailure;
  }
}
