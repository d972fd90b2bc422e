// CSpeexDSP: the thin boundary to Debian's speexdsp (libspeexdsp-dev): its resampler (drift correction), its
// MDF echo canceller and its preprocessor (residual echo suppression after the canceller).
// The echo and preprocessor settings go through untyped `*_ctl(state, request, void *)` calls; the static
// inline wrappers below give Swift one typed function per setting it uses.
#ifndef HOPLINE_CSPEEXDSP_SHIM_H
#define HOPLINE_CSPEEXDSP_SHIM_H

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <speex/speex_resampler.h>

/// SPEEX_ECHO_SET_SAMPLING_RATE (the canceller assumes 8 kHz until told). Returns 0 or -1.
static inline int hopline_speex_echo_set_sampling_rate(SpeexEchoState *state, int rate) {
    spx_int32_t value = rate;
    return speex_echo_ctl(state, SPEEX_ECHO_SET_SAMPLING_RATE, &value);
}

/// SPEEX_PREPROCESS_SET_ECHO_STATE: the canceller whose residual echo the preprocessor suppresses.
static inline int hopline_speex_preprocess_set_echo_state(SpeexPreprocessState *state, SpeexEchoState *echo) {
    return speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
}

/// SPEEX_PREPROCESS_SET_ECHO_SUPPRESS / _ACTIVE: the most the residual echo is attenuated, dB (negative),
/// without and with near-end speech.
static inline int hopline_speex_preprocess_set_echo_suppress(SpeexPreprocessState *state, int db, int activeDb) {
    spx_int32_t value = db;
    spx_int32_t active = activeDb;
    int status = speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &value);
    if (status != 0) return status;
    return speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &active);
}

/// SPEEX_PREPROCESS_SET_NOISE_SUPPRESS: the most noise is attenuated, dB (negative).
static inline int hopline_speex_preprocess_set_noise_suppress(SpeexPreprocessState *state, int db) {
    spx_int32_t value = db;
    return speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &value);
}

/// Turns the preprocessor's denoiser, AGC and dereverb on (1) or off (0). Hopline uses it for residual echo
/// suppression, which runs inside the denoiser's spectral gain: the denoiser stays on with its noise
/// attenuation held at -1 dB, AGC and dereverb off.
static inline int hopline_speex_preprocess_set_denoise(SpeexPreprocessState *state, int on) {
    spx_int32_t value = on;
    return speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &value);
}

static inline int hopline_speex_preprocess_set_agc(SpeexPreprocessState *state, int on) {
    spx_int32_t value = on;
    return speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &value);
}

static inline int hopline_speex_preprocess_set_dereverb(SpeexPreprocessState *state, int on) {
    spx_int32_t value = on;
    return speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DEREVERB, &value);
}

#endif
