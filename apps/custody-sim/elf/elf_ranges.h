#pragma once
// Byte ranges of a LogFile that can be generated independently (by several threads at once): the
// restart points the store's counting pass recorded, and a stream of one range [offset, offset +
// length) that starts at such a point without regenerating the bytes before it.

#include <cstdint>
#include <vector>

#include "elf.h"

namespace custody::sim {

// The byte offsets, ascending, strictly between 0 and info.length, at which generating `info`
// starts at a row boundary without regenerating earlier rows. Empty for a small file, for an
// unknown one, and for a store that is not the one MakeElfStore builds.
std::vector<uint64_t> LogFileRestartOffsets(const ElfStore& store, const LogFileInfo& info);

// Writes bytes [offset, offset + length) of the file (clipped to info.length) to `sink`, then
// stops: the last buffer is committed as soon as the range's last byte is written. Returns false
// if the sink stopped the stream or the file is unknown.
bool StreamLogFileRange(const ElfStore& store, const LogFileInfo& info, uint64_t offset, uint64_t length,
                        CsvBufferSink& sink);

}  // namespace custody::sim
