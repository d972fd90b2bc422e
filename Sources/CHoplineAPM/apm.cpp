// The C face of webrtc::AudioProcessing (WebRTC audio processing 0.3, Debian). See include/CHoplineAPM.h.
#include "CHoplineAPM.h"

#include <new>
#include <webrtc/modules/audio_processing/include/audio_processing.h>

struct HoplineAPM {
    webrtc::AudioProcessing *processing;
    webrtc::StreamConfig stream;
};

extern "C" HoplineAPM *hopline_apm_create(const HoplineAPMOptions *options, int *error) {
    webrtc::AudioProcessing *processing = webrtc::AudioProcessing::Create();
    if (processing == nullptr) {
        *error = webrtc::AudioProcessing::kCreationFailedError;
        return nullptr;
    }
    int status = webrtc::AudioProcessing::kNoError;
    auto step = [&status](int code) {
        if (status == webrtc::AudioProcessing::kNoError) status = code;
    };
    webrtc::ProcessingConfig streams = {{
        webrtc::StreamConfig(options->sample_rate, 1), webrtc::StreamConfig(options->sample_rate, 1),
        webrtc::StreamConfig(options->sample_rate, 1), webrtc::StreamConfig(options->sample_rate, 1),
    }};
    step(processing->Initialize(streams));
    step(processing->high_pass_filter()->Enable(options->high_pass_filter != 0));
    if (options->noise_suppression) {
        step(processing->noise_suppression()->set_level(webrtc::NoiseSuppression::kModerate));
        step(processing->noise_suppression()->Enable(true));
    }
    if (options->auto_gain) {
        step(processing->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital));
        step(processing->gain_control()->set_target_level_dbfs(3));
        step(processing->gain_control()->set_compression_gain_db(9));
        step(processing->gain_control()->enable_limiter(true));
        step(processing->gain_control()->Enable(true));
    }
    if (status != webrtc::AudioProcessing::kNoError) {
        delete processing;
        *error = status;
        return nullptr;
    }
    HoplineAPM *apm = new (std::nothrow) HoplineAPM{processing, webrtc::StreamConfig(options->sample_rate, 1)};
    if (apm == nullptr) {
        delete processing;
        *error = -2;
        return nullptr;
    }
    *error = 0;
    return apm;
}

extern "C" void hopline_apm_destroy(HoplineAPM *apm) {
    if (apm == nullptr) return;
    delete apm->processing;
    delete apm;
}

extern "C" int hopline_apm_process_capture(HoplineAPM *apm, float *frame, size_t count) {
    if (count != apm->stream.num_frames()) return webrtc::AudioProcessing::kBadDataLengthError;
    float *channels[1] = {frame};
    return apm->processing->ProcessStream(channels, apm->stream, apm->stream, channels);
}
