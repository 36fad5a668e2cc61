#pragma once
// On-disk integers of GPT and ext4, which are little-endian whatever the CPU.

#include <cstddef>
#include <cstdint>

namespace lethe::init {

inline uint64_t get_le(const unsigned char* bytes, size_t width) {
    uint64_t value = 0;
    for (size_t i = width; i-- > 0;) value = value << 8 | bytes[i];
    return value;
}

inline void put_le(unsigned char* bytes, size_t width, uint64_t value) {
    for (size_t i = 0; i < width; ++i, value >>= 8) bytes[i] = static_cast<unsigned char>(value & 0xff);
}

} // namespace lethe::init
