// CHoplineAPM: a plain C face for WebRTC's C++ audio processing module (echo cancellation, noise suppression,
// automatic gain control), so Swift can use it without C++ interop. Mono float audio in [-1, 1], 10 ms frames.
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
    int echo_cancellation;  ///< The full AEC (not the mobile one).
    int suppression_level;  ///< The AEC's residual echo suppression: 0 low, 1 moderate, 2 high.
    int extended_filter;    ///< AEC's 128 ms filter with robust delay handling.
    int delay_agnostic;     ///< AEC estimates the delay itself instead of trusting set_stream_delay_ms.
    int noise_suppression;  ///< Moderate noise suppression.
    int auto_gain;          ///< Adaptive digital gain control (target -3 dBFS, 9 dB compression, limiter).
    int high_pass_filter;   ///< Removes DC and rumble before the other components.
} HoplineAPMOptions;

/// Echo metrics, dB, long-term averages since the last call (WebRTC's own estimates). valid is 0 until
/// WebRTC has any.
typedef struct HoplineAPMMetrics {
    int valid;
    int echo_return_loss;              ///< ERL: far-end power over the echo's power at the microphone.
    int echo_return_loss_enhancement;  ///< ERLE: the echo's power over what is left after the canceller.
    int delay_median_ms;               ///< The echo path delay the AEC found (-1 unknown).
} HoplineAPMMetrics;

/// A new processor, or NULL with *error set to WebRTC's error code (or -2 for a failed allocation).
HoplineAPM *hopline_apm_create(const HoplineAPMOptions *options, int *error);
void hopline_apm_destroy(HoplineAPM *apm);

/// The far end: one 10 ms frame (sample_rate / 100 samples) exactly as handed to the speaker. Returns 0 or
/// WebRTC's error code.
int hopline_apm_analyze_render(HoplineAPM *apm, const float *frame, size_t count);

/// The near end: one 10 ms frame from the microphone, processed in place. delay_ms: the time between the
/// render frame whose echo this frame holds being analysed and this frame being processed. Returns 0, a
/// positive warning (WebRTC's kBadStreamParameterWarning as its absolute value) or a negative error code.
int hopline_apm_process_capture(HoplineAPM *apm, float *frame, size_t count, int delay_ms);

/// WebRTC's echo metrics (only with echo_cancellation on). Returns 0 or WebRTC's error code.
int hopline_apm_metrics(HoplineAPM *apm, HoplineAPMMetrics *metrics);

#ifdef __cplusplus
}
#endif

#endif
