// CSRTP: the thin boundary to Debian's libsrtp2 (libsrtp2-dev), the reference SRTP implementation.
// libsrtp2's API has no variadic functions, so this header only includes it.
#ifndef HOPLINE_CSRTP_SHIM_H
#define HOPLINE_CSRTP_SHIM_H

#include <srtp2/srtp.h>

#endif
