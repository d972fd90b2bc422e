// CPortAudio: the thin boundary to Debian's PortAudio 19.6 (portaudio19-dev).
// PortAudio's API has no variadic functions, so this header only includes it.
#ifndef HOPLINE_CPORTAUDIO_SHIM_H
#define HOPLINE_CPORTAUDIO_SHIM_H

#include <portaudio.h>

#endif
