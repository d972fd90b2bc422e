// CWebRTCAudioProcessing: Debian's WebRTC audio processing module 0.3 (libwebrtc-audio-processing-dev).
// Its API is C++ (webrtc::AudioProcessing), which Swift cannot import, so this system-library target exists only
// to carry the library's pkg-config flags (include path, defines, -lwebrtc_audio_processing) to CHoplineAPM,
// whose .cpp file includes the C++ header and exports a plain C API (CHoplineAPM.h). Nothing to import here.
#ifndef HOPLINE_CWEBRTC_AUDIO_PROCESSING_SHIM_H
#define HOPLINE_CWEBRTC_AUDIO_PROCESSING_SHIM_H
#endif
