// COpenDHT: the thin boundary to Debian's OpenDHT 2.4 C API (libopendht-c-dev), the DHT Jami runs on.
// The C API has no variadic functions, so this header only includes it. Its callbacks run on OpenDHT's own
// threads (see HoplineDiscovery's DHTRunner, which bridges them into a queue).
#ifndef HOPLINE_COPENDHT_SHIM_H
#define HOPLINE_COPENDHT_SHIM_H

#include <opendht/opendht_c.h>

#endif
