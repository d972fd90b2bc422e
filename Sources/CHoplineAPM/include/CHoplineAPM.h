// CHoplineAPM: a plain C face for WebRTC's C++ audio processing module (high-pass filter, noise suppression,
// automatic gain control; echo cancellation is speexdsp's, see HoplineAudio's EchoCanceller), so Swift can use
// it without C++ interop. Mono float audio in [-1, 1], 10 ms frames.
// One processor is used from one thread at a time (the render and capture calls must not run concurrently).
#ifndef HOPLINE_CHOPLINEAPM_H
#define HOPLINE_CHOPLINEAPM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct HoplineAPM HoplineAPM;

/// Which components to run. 0 = off, anything else = on.
typedef struct HoplineAPMOptions {
    int sample_rate;        ///< 8000, 16000, 32000 or 48000 Hz.
    int noise_suppression;  ///< Moderate noise suppression.
    int auto_gain;          ///< Adaptive digital gain control (target -3 dBFS, 9 dB compression, limiter).
    int high_pass_filter;   ///< Removes DC and rumble before the other components.
} HoplineAPMOptions;

/// A new processor, or NULL with *error set to WebRTC's error code (or -2 for a failed allocation).
HoplineAPM *hopline_apm_create(const HoplineAPMOptions *options, int *error);
void hopline_apm_destroy(HoplineAPM *apm);

/// The near end: one 10 ms frame from the microphone (after the echo canceller), processed in place. Returns 0
/// or a negative error code.
int hopline_apm_process_capture(HoplineAPM *apm, float *frame, size_t count);

#ifdef __cplusplus
}
#endif

#endif
