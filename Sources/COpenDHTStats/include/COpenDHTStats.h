// COpenDHTStats: the two figures `hopline dht status` reports that OpenDHT 2.4's C API does not expose (the
// routing table's node counts and the local store's size). Plain C declarations; the C++ behind them calls
// dht::DhtRunner directly (stats.cpp says why that is sound for Debian's libopendht-c 2.4).
#ifndef HOPLINE_COPENDHTSTATS_H
#define HOPLINE_COPENDHTSTATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Nodes in the IPv4 routing table of `runner` (a `dht_runner*`): good (answered recently), dubious, cached
/// and incoming; returns the total.
unsigned hopline_dht_node_counts(const void *runner, unsigned *good, unsigned *dubious, unsigned *cached, unsigned *incoming);

/// Values this node stores for the network, and their size in bytes.
void hopline_dht_store_size(const void *runner, size_t *bytes, size_t *values);

#ifdef __cplusplus
}
#endif

#endif
