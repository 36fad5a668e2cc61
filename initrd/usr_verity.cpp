#include "initrd/usr_verity.hpp"

#include "initrd/failure.hpp"
#include "initrd/verity.hpp"

namespace lethe::init {

UsrVerity usr_verity_from_cmdline(std::string_view cmdline) {
    std::optional<std::string> root_hash = usrhash_from_cmdline(cmdline);
    if (!root_hash)
        fail("no usrhash= on the kernel command line: this image's /usr is checked by dm-verity against the "
             "root hash its boot loaders pass as usrhash=; boot it from its own disk, or add the "
             "usrhash= of its NAME.manifest.json (verity.root_hash) to the command line");
    VerityPartitionUuids uuids = verity_partition_uuids(*root_hash);
    return {*root_hash,
            {"PARTUUID=" + uuids.data, "/usr, the first 128 bits of usrhash=" + *root_hash},
            {"PARTUUID=" + uuids.hash, "the hash tree of /usr, the last 128 bits of usrhash=" + *root_hash}};
}

std::string usr_mismatch_message(const UsrVerity& verity, const std::string& data_device,
                                 const std::string& hash_device, const std::string& error) {
    return "/usr does not match its root hash: the usr partition " + data_device + " (" + verity.data.tag +
           ") with its hash tree " + hash_device + " (" + verity.hash.tag + ") is not what usrhash=" +
           verity.root_hash + " describes: " + error +
           "; the partition or its hash tree was changed, or usrhash= is not this image's (the kernel log names "
           "the block, `lethe verify IMAGE` checks a copy of the disk)";
}

} // namespace lethe::init
