// CSpeexDSP: the thin boundary to Debian's speexdsp (libspeexdsp-dev), used for its resampler.
// The resampler API has no variadic functions, so this header only includes it.
#ifndef HOPLINE_CSPEEXDSP_SHIM_H
#define HOPLINE_CSPEEXDSP_SHIM_H

#include <speex/speex_resampler.h>

#endif
