#include "spec/network_parser.hpp"

namespace lethe::spec {

bool persists_directory(const Layout& layout, const std::string& path) {
    for (const auto& dir : layout.persistence.directories)
        if (dir.path == path || path.rfind(dir.path + "/", 0) == 0) return true;
    return false;
}

Network parse_network(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "network", {"dhcp"});
    Network network;
    if (map.has("dhcp")) {
        network.dhcp = read_bool(doc, map.get("dhcp"));
        network.dhcp_explicit = network.dhcp;
    }
    return network;
}

Hetzner parse_hetzner(const Document& doc, const YAML::Node& node, const Layout& layout) {
    MapReader map(doc, node, "hetzner", {"metadata"});
    Hetzner hetzner;
    if (!map.has("metadata")) return hetzner;
    const YAML::Node metadata = map.get("metadata");
    hetzner.metadata = read_bool(doc, metadata);
    hetzner.origin = doc.origin(metadata);
    if (hetzner.metadata && !persists_directory(layout, "/root/.ssh"))
        doc.fail_at(metadata,
                    "hetzner.metadata writes the server's SSH keys to /root/.ssh/authorized_keys, but "
                    "the layout does not persist /root/.ssh, so they would vanish at the next boot: add "
                    "'{path: /root/.ssh, mode: \"0700\"}' to persistence.directories (as "
                    "layouts/debian-server.yaml does)");
    return hetzner;
}

} // namespace lethe::spec
