#include "vm/kvm_failure.hpp"

namespace lethe::vm {
namespace {

// QEMU's kvm_handle_internal_error() (target/i386 and accel/kvm) starts its
// report with this, whatever the suberror.
constexpr std::string_view marker = "KVM internal error";

} // namespace

std::string KvmFailureWatch::feed(std::string_view bytes) {
    if (failed_) return {};
    partial_.append(bytes);
    std::string shown;
    size_t start = 0;
    for (size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
        std::string_view line(partial_.data() + start, end - start);
        if (line.find(marker) != std::string_view::npos) {
            failed_ = true;
            partial_.clear();
            return shown;
        }
        shown.append(line).push_back('\n');
    }
    partial_.erase(0, start);
    return shown;
}

std::string KvmFailureWatch::finish() {
    if (!failed_ && partial_.find(marker) != std::string::npos) failed_ = true;
    std::string rest = failed_ ? std::string() : partial_;
    partial_.clear();
    return rest;
}

} // namespace lethe::vm
