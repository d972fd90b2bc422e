// OpenDHT's C API (opendht_c.h, 2.4) has no call for the routing table's node counts or the store's size.
// Its `dht_runner*` is a `dht::DhtRunner*` (opendht_c.cpp: `dht_runner_new` returns
// `reinterpret_cast<dht_runner*>(new dht::DhtRunner)`), so these two functions call the C++ class directly.
#include "COpenDHTStats.h"
#include <opendht/dhtrunner.h>

extern "C" unsigned hopline_dht_node_counts(const void *runner, unsigned *good, unsigned *dubious, unsigned *cached, unsigned *incoming) {
    return static_cast<const dht::DhtRunner *>(runner)->getNodesStats(AF_INET, good, dubious, cached, incoming);
}

extern "C" void hopline_dht_store_size(const void *runner, size_t *bytes, size_t *values) {
    const auto size = static_cast<const dht::DhtRunner *>(runner)->getStoreSize();
    *bytes = size.first;
    *values = size.second;
}
