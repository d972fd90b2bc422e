// The C face of webrtc::AudioProcessing (WebRTC audio processing 0.3, Debian). See include/CHoplineAPM.h.
#include "CHoplineAPM.h"

#include <new>
#include <webrtc/modules/audio_processing/include/audio_processing.h>

struct HoplineAPM {
    webrtc::AudioProcessing *processing;
    webrtc::StreamConfig stream;
};

extern "C" HoplineAPM *hopline_apm_create(const HoplineAPMOptions *options, int *error) {
    webrtc::Config config;
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(options->extended_filter != 0));
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(options->delay_agnostic != 0));
    webrtc::AudioProcessing *processing = webrtc::AudioProcessing::Create(config);
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
    if (options->echo_cancellation) {
        step(processing->echo_cancellation()->enable_drift_compensation(false));
        step(processing->echo_cancellation()->set_suppression_level(
            static_cast<webrtc::EchoCancellation::SuppressionLevel>(options->suppression_level)));
        step(processing->echo_cancellation()->enable_metrics(true));
        step(processing->echo_cancellation()->enable_delay_logging(true));
        step(processing->echo_cancellation()->Enable(true));
    }
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

extern "C" int hopline_apm_analyze_render(HoplineAPM *apm, const float *frame, size_t count) {
    if (count != apm->stream.num_frames()) return webrtc::AudioProcessing::kBadDataLengthError;
    const float *channels[1] = {frame};
    return apm->processing->AnalyzeReverseStream(channels, count, apm->stream.sample_rate_hz(),
        webrtc::AudioProcessing::kMono);
}

extern "C" int hopline_apm_process_capture(HoplineAPM *apm, float *frame, size_t count, int delay_ms) {
    if (count != apm->stream.num_frames()) return webrtc::AudioProcessing::kBadDataLengthError;
    int warning = apm->processing->set_stream_delay_ms(delay_ms);
    float *channels[1] = {frame};
    int status = apm->processing->ProcessStream(channels, apm->stream, apm->stream, channels);
    if (status != webrtc::AudioProcessing::kNoError) return status;
    return warning == webrtc::AudioProcessing::kNoError ? 0 : -warning;
}

extern "C" int hopline_apm_metrics(HoplineAPM *apm, HoplineAPMMetrics *metrics) {
    webrtc::EchoCancellation *aec = apm->processing->echo_cancellation();
    metrics->valid = 0;
    metrics->delay_median_ms = -1;
    if (!aec->is_enabled()) return webrtc::AudioProcessing::kNotEnabledError;
    webrtc::EchoCancellation::Metrics values;
    int status = aec->GetMetrics(&values);
    if (status != webrtc::AudioProcessing::kNoError) return status;
    metrics->valid = 1;
    metrics->echo_return_loss = values.echo_return_loss.average;
    metrics->echo_return_loss_enhancement = values.echo_return_loss_enhancement.average;
    int median = -1, deviation = 0;
    float poor = 0;
    if (aec->GetDelayMetrics(&median, &deviation, &poor) == webrtc::AudioProcessing::kNoError) {
        metrics->delay_median_ms = median;
    }
    return 0;
}
