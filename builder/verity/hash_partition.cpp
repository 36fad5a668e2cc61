#include "verity/hash_partition.hpp"

#include "initrd/verity.hpp"
#include "verity/veritysetup.hpp"

namespace lethe::verity {

std::vector<exec::Tool> required_tools(const plan::Plan& plan) {
    if (!plan.verity) return {};
    return {{"veritysetup", "cryptsetup-bin"}};
}

std::string make_hash_image(plan::Plan& plan, const std::filesystem::path& data_image,
                            const std::filesystem::path& hash_image, exec::CommandRunner& runner) {
    plan::VerityPlan& verity = plan.verity.value();
    std::string root_hash = format(runner, format_job(plan.seed, verity.data_partition, data_image, hash_image));
    // systemd's convention, which lethe-init follows to find them at boot.
    init::VerityPartitionUuids uuids = init::verity_partition_uuids(root_hash);
    plan.partition(plan::Role::usr).uuid = uuids.data;
    plan.partition(plan::Role::usr_verity).uuid = uuids.hash;
    verity.root_hash = root_hash;
    return root_hash;
}

} // namespace lethe::verity
