#pragma once
// Finding partitions by tag (PARTUUID=..., PARTLABEL=..., UUID=..., LABEL=...)
// with libblkid's low-level probe, as devices appear in /sys/class/block.

#include <functional>
#include <string>
#include <vector>

namespace lethe::init {

// The /dev path of the first block device whose probed values match TAG, or "".
std::string find_tagged_device(const std::string& tag);

// Polls every 100 ms until every tag has a device, for at most TIMEOUT
// seconds, calling BEFORE_POLL first each time (loading drivers for devices
// that appeared meanwhile); returns the devices in the order of TAGS. On timeout, throws a
// Failure naming the missing tags and the block devices the kernel has.
std::vector<std::string> wait_for_devices(const std::vector<std::string>& tags, int timeout_seconds,
                                          const std::function<void()>& before_poll = {});

} // namespace lethe::init
