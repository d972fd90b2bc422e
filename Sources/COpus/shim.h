// COpus: the thin boundary to Debian's libopus (libopus-dev).
//
// opus_encoder_ctl and opus_decoder_ctl are variadic, and Swift cannot call variadic C functions.
// Each request the Swift code uses gets one non-variadic static inline wrapper here; nothing else.
#ifndef HOPLINE_COPUS_SHIM_H
#define HOPLINE_COPUS_SHIM_H

#include <opus/opus.h>

static inline int hopline_opus_set_bitrate(OpusEncoder *st, opus_int32 bps) {
    return opus_encoder_ctl(st, OPUS_SET_BITRATE(bps));
}
static inline int hopline_opus_get_bitrate(OpusEncoder *st, opus_int32 *bps) {
    return opus_encoder_ctl(st, OPUS_GET_BITRATE(bps));
}
static inline int hopline_opus_set_complexity(OpusEncoder *st, opus_int32 complexity) {
    return opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(complexity));
}
static inline int hopline_opus_set_inband_fec(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(enabled));
}
static inline int hopline_opus_set_packet_loss_perc(OpusEncoder *st, opus_int32 percent) {
    return opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(percent));
}
static inline int hopline_opus_set_dtx(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_DTX(enabled));
}
static inline int hopline_opus_set_signal_voice(OpusEncoder *st) {
    return opus_encoder_ctl(st, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}
static inline int hopline_opus_get_lookahead(OpusEncoder *st, opus_int32 *samples) {
    return opus_encoder_ctl(st, OPUS_GET_LOOKAHEAD(samples));
}
static inline int hopline_opus_get_in_dtx(OpusEncoder *st, opus_int32 *in_dtx) {
    return opus_encoder_ctl(st, OPUS_GET_IN_DTX(in_dtx));
}
static inline int hopline_opus_decoder_get_last_packet_duration(OpusDecoder *st, opus_int32 *samples) {
    return opus_decoder_ctl(st, OPUS_GET_LAST_PACKET_DURATION(samples));
}

#endif
