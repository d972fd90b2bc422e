// loadgen: simulated voice calls through a UDP relay, for make bench-relay (bench/README.md).
//
// N calls, each two endpoints sending --rate packets/s of --size bytes to each other through the forwarder under
// test; K more "direct" calls send endpoint to endpoint with no relay (the loopback baseline, same run, same
// socket, same batches). Every endpoint has its own address 127.B.C.D (B >= 1, so never the forwarder's
// 127.0.0.1) on one port: the generator has ONE socket bound to 0.0.0.0:PORT and picks the source address of
// each datagram with IP_PKTINFO, and learns the receiving endpoint from the destination address. Sends and
// receives are batched (sendmmsg/recvmmsg), so the generator costs less per packet than the forwarder.
//
// Payload after the forwarder's 4-byte header: magic, source endpoint, destination endpoint, sequence number,
// CLOCK_MONOTONIC send time (ns), then bytes from a random pool (checked on receipt: the forwarder must not
// touch them). The receiving endpoint computes one-way delay on the same clock and counts loss per packet.
//
// Modes (--mode):
//   forward  the minimal forwarder (cforward): just send DATA (0x40, channel u24); it learns both sides.
//   hopline  Hopline's relay: per call COOKIE_REQUEST -> COOKIE -> ALLOCATE (caller) -> JOINED (token), then the
//            callee COOKIE_REQUEST -> COOKIE -> JOIN (token) -> JOINED; then DATA on the token's channel.
//   turn     a TURN server (coturn): the caller endpoint is a TURN client (Allocate with long-term credentials,
//            ChannelBind to the callee's address) and sends ChannelData; the callee is a plain UDP peer that
//            sends to the caller's relayed address. One server hop per packet either way, like a relayed leg.
// --idle N (hopline, turn): only allocate N sessions (hopline: cookie + ALLOCATE; turn: Allocate), no callee, no
// traffic; hold --hold seconds, report the forwarder's RSS before and after.
//
// With --pid PID the generator reads the forwarder's CPU time (sum over /proc/PID/task/*/schedstat) and RSS at
// the start and the end of the steady window itself, so the CPU and the packet counts cover the same interval.
// Output: one JSON object on stdout. Traffic goes only to 127.0.0.0/8. Every run stops by itself.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

#define MAGIC 0x484c4247u  // "HLBG"
#define BODY_FIXED 24      // magic, src, dst, seq (4 each) + send time (8)
#define MAX_SIZE 1400
#define POOL_SIZE 65536
#define HIST_FINE 50000      // 1 us buckets up to 50 ms
#define HIST_COARSE 10000    // then 1 ms buckets up to ~10 s
#define MAX_BATCH 256
#define CTRL_SIZE CMSG_SPACE(sizeof(struct in_pktinfo))
#define RX_CTRL_SIZE (CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(4) + 64)

enum { M_FORWARD, M_HOPLINE, M_TURN };
enum { K_RELAYED, K_DIRECT };
// Call handshake states.
enum { S_START, S_A_COOKIE, S_A_JOINED, S_B_COOKIE, S_B_JOINED, S_T_ALLOC1, S_T_ALLOC2, S_T_BIND, S_READY, S_FAILED };

struct endpoint {
    uint32_t ip;          // network order
    uint32_t peer;        // the other endpoint of the call
    struct sockaddr_in dst;
    uint8_t hdr[4];
    uint8_t hdrlen;       // bytes of forwarder header on what this endpoint sends
    uint8_t rx_hdrlen;    // ... and on what it receives
    uint8_t kind;         // K_RELAYED or K_DIRECT
    uint8_t active;
    uint32_t seq;
    uint32_t last_rx_seq;
};

struct call {
    uint8_t state;
    uint8_t tries;
    uint8_t txid[12];
    uint8_t cookie[16];
    uint8_t token[88];
    uint8_t keys[64];
    uint64_t deadline;
    uint32_t channel;
    struct sockaddr_in relayed;  // turn: the caller's relayed address
    uint8_t nonce[128];
    uint8_t nonce_len;
};

// ---- options
static int mode = M_FORWARD;
static struct sockaddr_in relay_addr;
static int calls_n = 10, direct_n = 10, idle_n = 0;
static double rate = 50, warmup_s = 2, window_s = 10, drain_s = 0.5, hold_s = 2, hs_timeout_s = 60;
static uint64_t tick_ns = 100000;
static int size = 120, port = 40000, send_batch = 32, hs_window = 128, fwd_pid = 0;
static const char *turn_user = "bench", *turn_pass = "bench", *turn_realm_opt = "hopline.bench";
static unsigned seed = 1;

// ---- state
static int fd;
static struct endpoint *eps;
static struct call *calls;
static int eps_n;
static uint8_t pool[POOL_SIZE + MAX_SIZE];
static uint32_t *hist[2];
static uint64_t hist_n[2], hist_max[2];
static uint32_t *late_hist;
static uint64_t late_n;
static uint64_t sent_win[2], recv_win_sent[2], recv_in_window[2], recv_total[2], sent_total[2];
static uint64_t bad_magic, bad_dst, bad_payload, reordered, unknown_dst, ctrl_unexpected;
static uint64_t refused[9], hs_retries, send_errors;
static uint32_t gen_rx_drops;
static uint64_t drains;
static uint64_t last_relayed_arrival, max_gap, stall_ns;
static uint8_t turn_key[16];
static char turn_realm[128];
static int turn_key_ready;
static uint64_t t_win0, t_win1;  // the steady window (send times and receive times)

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static uint64_t rng_state;
static uint64_t rng(void) {  // splitmix64
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static void fill_random(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rng();
}

// Endpoint e lives at 127.B.C.D with B >= 1 (never 127.0.0.x), C and D in 1..250.
static uint32_t ep_ip(uint32_t e) {
    uint32_t b = e / 62500 + 1, c = (e / 250) % 250 + 1, d = e % 250 + 1;
    return htonl((127u << 24) | (b << 16) | (c << 8) | d);
}
static int64_t ep_index(uint32_t ip_net) {
    uint32_t ip = ntohl(ip_net);
    uint32_t a = ip >> 24, b = (ip >> 16) & 255, c = (ip >> 8) & 255, d = ip & 255;
    if (a != 127 || b < 1 || c < 1 || c > 250 || d < 1 || d > 250) return -1;
    int64_t e = (int64_t)(b - 1) * 62500 + (c - 1) * 250 + (d - 1);
    return e < eps_n ? e : -1;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

// ---- /proc readings of the forwarder
static uint64_t last_pcount;  // set by proc_cpu_ns: times the threads were switched in (wake-ups, roughly)
static uint64_t last_wait;    // ... and ns they spent runnable but waiting for the CPU (preempted, throttled)
static uint64_t proc_cpu_ns(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (!dir) return 0;
    uint64_t sum = 0, pcount = 0, waited = 0;
    struct dirent *d;
    while ((d = readdir(dir))) {
        if (d->d_name[0] == '.') continue;
        char file[320];
        snprintf(file, sizeof file, "/proc/%d/task/%s/schedstat", pid, d->d_name);
        FILE *f = fopen(file, "r");
        if (!f) continue;
        unsigned long long run = 0, wait = 0, count = 0;
        if (fscanf(f, "%llu %llu %llu", &run, &wait, &count) >= 1) { sum += run; pcount += count; waited += wait; }
        fclose(f);
    }
    closedir(dir);
    last_pcount = pcount;
    last_wait = waited;
    return sum;
}
// User and system time of the whole process (/proc/PID/stat utime, stime; clock ticks, so coarse: for the split).
static void proc_user_sys(int pid, double *user_s, double *sys_s) {
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    *user_s = *sys_s = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return;
    unsigned long long ut = 0, st = 0;
    // after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2) {
        double hz = (double)sysconf(_SC_CLK_TCK);
        *user_s = (double)ut / hz;
        *sys_s = (double)st / hz;
    }
}
static long proc_rss_kb(int pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) { kb = atol(line + 6); break; }
    fclose(f);
    return kb;
}
static int proc_threads(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (!dir) return 0;
    int n = 0;
    struct dirent *d;
    while ((d = readdir(dir))) if (d->d_name[0] != '.') n++;
    closedir(dir);
    return n;
}

// UDP counters of the whole network namespace (/proc/net/snmp): RcvbufErrors, SndbufErrors, InErrors, NoPorts.
struct udp_snmp { unsigned long long in_errors, rcvbuf_errors, sndbuf_errors, no_ports; };
static struct udp_snmp read_udp_snmp(void) {
    struct udp_snmp u = {0, 0, 0, 0};
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f) return u;
    char head[1024], vals[1024];
    while (fgets(head, sizeof head, f)) {
        if (strncmp(head, "Udp:", 4) || !fgets(vals, sizeof vals, f)) continue;
        char *hs, *vs, *h = strtok_r(head + 4, " \n", &hs), *v = strtok_r(vals + 4, " \n", &vs);
        while (h && v) {
            unsigned long long x = strtoull(v, NULL, 10);
            if (!strcmp(h, "InErrors")) u.in_errors = x;
            else if (!strcmp(h, "RcvbufErrors")) u.rcvbuf_errors = x;
            else if (!strcmp(h, "SndbufErrors")) u.sndbuf_errors = x;
            else if (!strcmp(h, "NoPorts")) u.no_ports = x;
            h = strtok_r(NULL, " \n", &hs);
            v = strtok_r(NULL, " \n", &vs);
        }
        break;
    }
    fclose(f);
    return u;
}

// ---- sending
static struct mmsghdr tx[MAX_BATCH];
static struct iovec tx_iov[MAX_BATCH];
static struct sockaddr_in tx_to[MAX_BATCH];
static uint8_t tx_buf[MAX_BATCH][MAX_SIZE];
static uint8_t tx_ctrl[MAX_BATCH][CTRL_SIZE];
static int tx_n;

static void tx_flush(void) {
    int done = 0;
    while (done < tx_n) {
        int s = sendmmsg(fd, tx + done, (unsigned)(tx_n - done), 0);
        if (s < 0) {
            if (errno == EINTR) continue;
            send_errors++;
            done++;
            continue;
        }
        done += s;
    }
    tx_n = 0;
}
// Reserve the next message slot: from endpoint e's address to `to`; returns the buffer to fill.
static uint8_t *tx_slot(uint32_t e, const struct sockaddr_in *to) {
    if (tx_n == MAX_BATCH) tx_flush();
    int i = tx_n;
    tx_to[i] = *to;
    struct msghdr *h = &tx[i].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &tx_to[i];
    h->msg_namelen = sizeof(struct sockaddr_in);
    tx_iov[i].iov_base = tx_buf[i];
    h->msg_iov = &tx_iov[i];
    h->msg_iovlen = 1;
    memset(tx_ctrl[i], 0, CTRL_SIZE);
    h->msg_control = tx_ctrl[i];
    h->msg_controllen = CTRL_SIZE;
    struct cmsghdr *c = CMSG_FIRSTHDR(h);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
    pi->ipi_spec_dst.s_addr = eps[e].ip;
    return tx_buf[i];
}
static void tx_commit(size_t len) { tx_iov[tx_n].iov_len = len; tx_n++; }

// ---- Hopline relay handshake
static void hs_send(uint32_t ci, uint64_t now);
static void hs_enter(uint32_t ci, int state, uint64_t now) {
    calls[ci].state = (uint8_t)state;
    calls[ci].tries = 0;
    hs_send(ci, now);
}

// ---- TURN (RFC 8656 / 5389) messages, long-term credentials
#define STUN_COOKIE 0x2112A442u
static size_t stun_attr(uint8_t *p, size_t off, uint16_t type, const void *val, uint16_t len) {
    put16(p + off, type);
    put16(p + off + 2, len);
    memcpy(p + off + 4, val, len);
    size_t padded = (len + 3u) & ~3u;
    memset(p + off + 4 + len, 0, padded - len);
    return off + 4 + padded;
}
static size_t stun_xor_addr(uint8_t *p, size_t off, uint16_t type, uint32_t ip_net, uint16_t port_net) {
    uint8_t v[8] = {0, 1};
    put16(v + 2, ntohs(port_net) ^ (STUN_COOKIE >> 16));
    put32(v + 4, ntohl(ip_net) ^ STUN_COOKIE);
    return stun_attr(p, off, type, v, 8);
}
static size_t stun_finish_auth(uint8_t *p, size_t off, const struct call *c) {
    off = stun_attr(p, off, 0x0006, turn_user, (uint16_t)strlen(turn_user));
    off = stun_attr(p, off, 0x0014, turn_realm, (uint16_t)strlen(turn_realm));
    off = stun_attr(p, off, 0x0015, c->nonce, c->nonce_len);
    put16(p + 2, (uint16_t)(off - 20 + 24));  // the length covers MESSAGE-INTEGRITY
    uint8_t mac[20];
    unsigned maclen = 0;
    HMAC(EVP_sha1(), turn_key, 16, p, off, mac, &maclen);
    off = stun_attr(p, off, 0x0008, mac, 20);
    return off;
}
static size_t turn_build(uint8_t *p, uint32_t ci, int state) {
    struct call *c = &calls[ci];
    uint16_t type = state == S_T_BIND ? 0x0009 : 0x0003;
    put16(p, type);
    put16(p + 2, 0);
    put32(p + 4, STUN_COOKIE);
    memcpy(p + 8, c->txid, 12);
    size_t off = 20;
    if (state == S_T_ALLOC1 || state == S_T_ALLOC2) {
        uint8_t transport[4] = {17, 0, 0, 0};
        off = stun_attr(p, off, 0x0019, transport, 4);
    } else {
        uint8_t chan[4] = {0x40, 0x00, 0, 0};
        off = stun_attr(p, off, 0x000C, chan, 4);
        uint32_t peer = 2 * ci + 1;
        off = stun_xor_addr(p, off, 0x0012, eps[peer].ip, htons((uint16_t)port));
    }
    if (state == S_T_ALLOC1) {
        put16(p + 2, (uint16_t)(off - 20));
        return off;
    }
    return stun_finish_auth(p, off, c);
}

static void hs_send(uint32_t ci, uint64_t now) {
    struct call *c = &calls[ci];
    uint32_t a = 2 * ci, b = 2 * ci + 1;
    fill_random(c->txid, 12);
    c->deadline = now + 300000000ull + (uint64_t)c->tries * 200000000ull;
    uint8_t *p;
    switch (c->state) {
    case S_A_COOKIE:
    case S_B_COOKIE:
        p = tx_slot(c->state == S_A_COOKIE ? a : b, &relay_addr);
        memset(p, 0, 64);
        p[0] = 0x41;
        memcpy(p + 1, c->txid, 12);
        tx_commit(64);
        break;
    case S_A_JOINED:
        p = tx_slot(a, &relay_addr);
        memset(p, 0, 128);
        p[0] = 0x43;
        memcpy(p + 1, c->txid, 12);
        memcpy(p + 13, c->cookie, 16);
        memcpy(p + 29, c->keys, 64);
        tx_commit(128);
        break;
    case S_B_JOINED:
        p = tx_slot(b, &relay_addr);
        memset(p, 0, 128);
        p[0] = 0x44;
        memcpy(p + 1, c->txid, 12);
        memcpy(p + 13, c->cookie, 16);
        p[29] = 2;
        memcpy(p + 30, c->token, 88);
        tx_commit(128);
        break;
    case S_T_ALLOC1:
    case S_T_ALLOC2:
    case S_T_BIND:
        p = tx_slot(a, &relay_addr);
        tx_commit(turn_build(p, ci, c->state));
        break;
    default:
        break;
    }
}

static int hs_active, hs_next, hs_ready, hs_failed, hs_total;
static void hs_done(uint32_t ci, int ok) {
    calls[ci].state = ok ? S_READY : S_FAILED;
    hs_active--;
    if (ok) hs_ready++; else hs_failed++;
}

static void on_hopline_control(uint32_t e, const uint8_t *p, size_t len, uint64_t now) {
    uint32_t ci = e / 2;
    if ((int)e >= 2 * (idle_n ? idle_n : calls_n)) { ctrl_unexpected++; return; }
    struct call *c = &calls[ci];
    if (len < 13 || memcmp(p + 1, c->txid, 12) != 0) { ctrl_unexpected++; return; }
    int is_a = (e % 2) == 0;
    switch (p[0]) {
    case 0x42:  // COOKIE
        if (len < 29) { ctrl_unexpected++; return; }
        if (c->state == S_A_COOKIE && is_a) { memcpy(c->cookie, p + 13, 16); hs_enter(ci, S_A_JOINED, now); }
        else if (c->state == S_B_COOKIE && !is_a) { memcpy(c->cookie, p + 13, 16); hs_enter(ci, S_B_JOINED, now); }
        else ctrl_unexpected++;
        break;
    case 0x45:  // JOINED
        if (len < 102) { ctrl_unexpected++; return; }
        if (c->state == S_A_JOINED && is_a) {
            memcpy(c->token, p + 14, 88);
            c->channel = get32(c->token) & 0xFFFFFF;
            if (idle_n) hs_done(ci, 1);
            else hs_enter(ci, S_B_COOKIE, now);
        } else if (c->state == S_B_JOINED && !is_a) {
            hs_done(ci, 1);
        } else ctrl_unexpected++;
        break;
    case 0x46: {  // REFUSED
        uint8_t reason = len >= 14 ? p[13] : 0;
        refused[reason < 9 ? reason : 0]++;
        if (reason == 2 || reason == 4) {  // rate limited, bad cookie: back off, start that side over (full: give up)
            c->state = (c->state == S_A_JOINED || c->state == S_A_COOKIE) ? S_A_COOKIE : S_B_COOKIE;
            c->deadline = now + 50000000ull + (rng() % 100000000ull);
            if (++c->tries > 20) hs_done(ci, 0);
            c->txid[0] ^= 0xff;  // the old reply is stale now
        } else {
            hs_done(ci, 0);
        }
        break;
    }
    default:
        ctrl_unexpected++;
    }
}

static void turn_parse_xor(const uint8_t *v, struct sockaddr_in *out) {
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons(get16(v + 2) ^ (STUN_COOKIE >> 16));
    out->sin_addr.s_addr = htonl(get32(v + 4) ^ STUN_COOKIE);
}
static void on_turn_control(uint32_t e, const uint8_t *p, size_t len, uint64_t now) {
    uint32_t ci = e / 2;
    if (e % 2 || (int)ci >= (idle_n ? idle_n : calls_n) || len < 20) { ctrl_unexpected++; return; }
    struct call *c = &calls[ci];
    if (memcmp(p + 8, c->txid, 12) != 0) { ctrl_unexpected++; return; }
    uint16_t type = get16(p);
    size_t mlen = get16(p + 2);
    if (20 + mlen > len) { ctrl_unexpected++; return; }
    int error = 0;
    struct sockaddr_in relayed = {0};
    int have_relayed = 0;
    for (size_t off = 20; off + 4 <= 20 + mlen;) {
        uint16_t at = get16(p + off), al = get16(p + off + 2);
        const uint8_t *v = p + off + 4;
        if (off + 4 + al > 20 + mlen) break;
        if (at == 0x0009 && al >= 4) error = (v[2] & 7) * 100 + v[3];
        else if (at == 0x0014 && al < sizeof turn_realm && !turn_key_ready) {
            memcpy(turn_realm, v, al);
            turn_realm[al] = 0;
            char cred[512];
            int n = snprintf(cred, sizeof cred, "%s:%s:%s", turn_user, turn_realm, turn_pass);
            unsigned kl = 0;
            EVP_Digest(cred, (size_t)n, turn_key, &kl, EVP_md5(), NULL);
            turn_key_ready = 1;
        } else if (at == 0x0015 && al <= sizeof c->nonce) {
            memcpy(c->nonce, v, al);
            c->nonce_len = (uint8_t)al;
        } else if (at == 0x0016 && al >= 8) {
            turn_parse_xor(v, &relayed);
            have_relayed = 1;
        }
        off += 4 + ((al + 3u) & ~3u);
    }
    if ((type & 0x0110) == 0x0110) {  // error response
        if ((error == 401 && c->state == S_T_ALLOC1) || error == 438) {
            hs_enter(ci, c->state == S_T_ALLOC1 ? S_T_ALLOC2 : c->state, now);
        } else {
            fprintf(stderr, "loadgen: call %u: TURN error %d in state %d\n", ci, error, c->state);
            hs_done(ci, 0);
        }
        return;
    }
    if (type == 0x0103 && c->state == S_T_ALLOC2 && have_relayed) {
        c->relayed = relayed;
        if (idle_n) hs_done(ci, 1);  // an allocation with no channel and no traffic
        else hs_enter(ci, S_T_BIND, now);
    } else if (type == 0x0109 && c->state == S_T_BIND) {
        hs_done(ci, 1);
    } else ctrl_unexpected++;
}

// ---- receiving
static struct mmsghdr rx[MAX_BATCH];
static struct iovec rx_iov[MAX_BATCH];
static struct sockaddr_in rx_from[MAX_BATCH];
static uint8_t rx_buf[MAX_BATCH][MAX_SIZE + 64];
static uint8_t rx_ctrl[MAX_BATCH][RX_CTRL_SIZE];

static void record_latency(int kind, uint64_t ns) {
    uint64_t us = ns / 1000;
    uint64_t bucket = us < HIST_FINE ? us : HIST_FINE + ((us - HIST_FINE) / 1000 < HIST_COARSE - 1 ? (us - HIST_FINE) / 1000 : HIST_COARSE - 1);
    hist[kind][bucket]++;
    hist_n[kind]++;
    if (us > hist_max[kind]) hist_max[kind] = us;
}
static double hist_pct(int kind, double q) {
    if (!hist_n[kind]) return -1;
    uint64_t target = (uint64_t)(q * (double)hist_n[kind]);
    if (target >= hist_n[kind]) target = hist_n[kind] - 1;
    uint64_t acc = 0;
    for (uint64_t b = 0; b < HIST_FINE + HIST_COARSE; b++) {
        acc += hist[kind][b];
        if (acc > target) return b < HIST_FINE ? (double)b + 0.5 : (double)(HIST_FINE + (b - HIST_FINE) * 1000 + 500);
    }
    return (double)hist_max[kind];
}

static int rx_drain(void) {
    int total = 0;
    for (;;) {
        for (int i = 0; i < MAX_BATCH; i++) {
            rx[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
            rx[i].msg_hdr.msg_controllen = sizeof rx_ctrl[i];
        }
        int n = recvmmsg(fd, rx, MAX_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) die("recvmmsg: %s", strerror(errno));
            return total;
        }
        total += n;
        uint64_t now = now_ns();
        // Kernel receive timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME) moved onto CLOCK_MONOTONIC: the arrival time
        // at the endpoint's socket, whenever the generator gets round to reading it.
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        int64_t rt_minus_mono = (int64_t)((uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec) - (int64_t)now;
        for (int i = 0; i < n; i++) {
            uint32_t to_ip = 0;
            uint64_t arrived = now;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&rx[i].msg_hdr); c; c = CMSG_NXTHDR(&rx[i].msg_hdr, c))
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
                    to_ip = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr;
                else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
                    struct timespec k;
                    memcpy(&k, CMSG_DATA(c), sizeof k);
                    int64_t a = (int64_t)((uint64_t)k.tv_sec * 1000000000ull + (uint64_t)k.tv_nsec) - rt_minus_mono;
                    if (a > 0 && (uint64_t)a <= now) arrived = (uint64_t)a;
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t dropped;
                    memcpy(&dropped, CMSG_DATA(c), 4);
                    if (dropped > gen_rx_drops) gen_rx_drops = dropped;
                }
            int64_t e = ep_index(to_ip);
            if (e < 0) { unknown_dst++; continue; }
            const uint8_t *p = rx_buf[i];
            size_t len = rx[i].msg_len;
            struct endpoint *ep = &eps[e];
            // Handshake replies: from the relay, on an endpoint whose call is not ready yet.
            if (mode == M_HOPLINE && len >= 1 && p[0] >= 0x41 && p[0] <= 0x4F) {
                if (p[0] == 0x47) { drains++; continue; }  // DRAIN: only expected after the run
                on_hopline_control((uint32_t)e, p, len, now);
                continue;
            }
            if (mode == M_TURN && len >= 20 && (p[0] & 0xC0) == 0 && get32(p + 4) == STUN_COOKIE) {
                on_turn_control((uint32_t)e, p, len, now);
                continue;
            }
            if (!ep->active) { ctrl_unexpected++; continue; }
            if (len < (size_t)ep->rx_hdrlen + BODY_FIXED) { bad_payload++; continue; }
            const uint8_t *body = p + ep->rx_hdrlen;
            size_t blen = len - ep->rx_hdrlen;
            if (get32(body) != MAGIC) { bad_magic++; continue; }
            uint32_t src = get32(body + 4), dst = get32(body + 8), seq = get32(body + 12);
            uint64_t ts;
            memcpy(&ts, body + 16, 8);
            if (dst != (uint32_t)e || src != ep->peer) { bad_dst++; continue; }
            size_t rnd = blen - BODY_FIXED;
            if (memcmp(body + BODY_FIXED, pool + ((seq * 131u + src * 7u) % POOL_SIZE), rnd) != 0) { bad_payload++; continue; }
            int kind = ep->kind;
            recv_total[kind]++;
            if (seq <= ep->last_rx_seq && ep->last_rx_seq) reordered++;
            else ep->last_rx_seq = seq;
            if (ts >= t_win0 && ts < t_win1) {
                recv_win_sent[kind]++;
                record_latency(kind, arrived > ts ? arrived - ts : 0);
            }
            if (arrived >= t_win0 && arrived < t_win1) {
                recv_in_window[kind]++;
                if (kind == K_RELAYED) {  // stalls: gaps between consecutive relayed arrivals
                    if (last_relayed_arrival && arrived > last_relayed_arrival) {
                        uint64_t gap = arrived - last_relayed_arrival;
                        if (gap > max_gap) max_gap = gap;
                        if (gap > 2000000ull) stall_ns += gap;
                    }
                    if (arrived > last_relayed_arrival) last_relayed_arrival = arrived;
                }
            }
        }
    }
}

static void send_data(uint32_t e, uint64_t ts) {
    struct endpoint *ep = &eps[e];
    uint8_t *p = tx_slot(e, &ep->dst);
    memcpy(p, ep->hdr, ep->hdrlen);
    uint8_t *body = p + ep->hdrlen;
    size_t blen = (size_t)size - 4;  // every endpoint's body is the same size; TURN peers send it bare
    uint32_t seq = ++ep->seq;
    put32(body, MAGIC);
    put32(body + 4, e);
    put32(body + 8, ep->peer);
    put32(body + 12, seq);
    memcpy(body + 16, &ts, 8);
    memcpy(body + BODY_FIXED, pool + ((seq * 131u + e * 7u) % POOL_SIZE), blen - BODY_FIXED);
    tx_commit(ep->hdrlen + blen);
    sent_total[ep->kind]++;
    if (ts >= t_win0 && ts < t_win1) sent_win[ep->kind]++;
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen --mode forward|hopline|turn --relay IP:PORT [--calls N] [--direct K] [--rate PPS]\n"
            "  [--size BYTES] [--warmup S] [--window S] [--drain S] [--port P] [--pid FORWARDER_PID]\n"
            "  [--send-batch N] [--tick-us US] [--hs-window N] [--hs-timeout S] [--idle N --hold S] [--seed N]\n"
            "  [--turn-user U --turn-pass P]\n");
    exit(2);
}


// Sleep until t, or until a datagram arrives when wake_on_receive (the handshakes). In the traffic phase the
// generator only wakes on its tick grid and reads what arrived meanwhile in one batch: the arrival times come
// from the kernel, so this costs no precision and saves a wake-up per received packet.
static void sleep_until(uint64_t t, int wake_on_receive) {
    uint64_t now = now_ns();
    if (t <= now) return;
    uint64_t d = t - now;
    struct timespec ts = {(time_t)(d / 1000000000ull), (long)(d % 1000000000ull)};
    struct pollfd pfd = {fd, POLLIN, 0};
    ppoll(&pfd, wake_on_receive ? 1 : 0, &ts, NULL);
}

int main(int argc, char **argv) {
    const char *relay_text = NULL, *mode_text = "forward";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        i++;
        if (!strcmp(a, "--mode")) mode_text = v;
        else if (!strcmp(a, "--relay")) relay_text = v;
        else if (!strcmp(a, "--calls")) calls_n = atoi(v);
        else if (!strcmp(a, "--direct")) direct_n = atoi(v);
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--size")) size = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup_s = atof(v);
        else if (!strcmp(a, "--window")) window_s = atof(v);
        else if (!strcmp(a, "--drain")) drain_s = atof(v);
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--pid")) fwd_pid = atoi(v);
        else if (!strcmp(a, "--send-batch")) send_batch = atoi(v);
        else if (!strcmp(a, "--tick-us")) tick_ns = (uint64_t)(atof(v) * 1000);
        else if (!strcmp(a, "--hs-window")) hs_window = atoi(v);
        else if (!strcmp(a, "--hs-timeout")) hs_timeout_s = atof(v);
        else if (!strcmp(a, "--idle")) idle_n = atoi(v);
        else if (!strcmp(a, "--hold")) hold_s = atof(v);
        else if (!strcmp(a, "--seed")) seed = (unsigned)atoi(v);
        else if (!strcmp(a, "--turn-user")) turn_user = v;
        else if (!strcmp(a, "--turn-pass")) turn_pass = v;
        else usage();
    }
    if (!strcmp(mode_text, "forward")) mode = M_FORWARD;
    else if (!strcmp(mode_text, "hopline")) mode = M_HOPLINE;
    else if (!strcmp(mode_text, "turn")) mode = M_TURN;
    else usage();
    if (!relay_text || parse_addr(relay_text, &relay_addr) != 0) usage();
    if ((ntohl(relay_addr.sin_addr.s_addr) >> 24) != 127) die("the relay must be on 127.0.0.0/8");
    if (size < 4 + BODY_FIXED + 8 || size > MAX_SIZE) die("--size must be %d..%d", 4 + BODY_FIXED + 8, MAX_SIZE);
    if (send_batch < 1 || send_batch > MAX_BATCH) send_batch = 32;
    if (idle_n && mode == M_FORWARD) die("--idle is for --mode hopline or turn");
    if (calls_n < 0 || direct_n < 0) usage();
    (void)turn_realm_opt;
    rng_state = seed * 0x1234567ull + 1;
    fill_random(pool, sizeof pool);

    int sessions = idle_n ? idle_n : calls_n;
    eps_n = 2 * (sessions + (idle_n ? 0 : direct_n));
    eps = calloc((size_t)eps_n, sizeof *eps);
    calls = calloc((size_t)sessions + 1, sizeof *calls);
    hist[0] = calloc(HIST_FINE + HIST_COARSE, sizeof(uint32_t));
    hist[1] = calloc(HIST_FINE + HIST_COARSE, sizeof(uint32_t));
    late_hist = calloc(HIST_FINE + HIST_COARSE, sizeof(uint32_t));
    if (!eps || !calls || !hist[0] || !hist[1] || !late_hist) die("out of memory");

    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    int one = 1, big = 16 << 20;
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);  // the generator's own receive-queue drops
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);  // kernel arrival time of each datagram
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(INADDR_ANY)}};
    if (bind(fd, (struct sockaddr *)&any, sizeof any) != 0) die("bind 0.0.0.0:%d: %s", port, strerror(errno));

    for (int i = 0; i < MAX_BATCH; i++) {
        rx_iov[i].iov_base = rx_buf[i];
        rx_iov[i].iov_len = sizeof rx_buf[i];
        rx[i].msg_hdr.msg_iov = &rx_iov[i];
        rx[i].msg_hdr.msg_iovlen = 1;
        rx[i].msg_hdr.msg_name = &rx_from[i];
        rx[i].msg_hdr.msg_control = rx_ctrl[i];
    }
    for (int e = 0; e < eps_n; e++) {
        struct endpoint *ep = &eps[e];
        ep->ip = ep_ip((uint32_t)e);
        ep->peer = (uint32_t)(e ^ 1);
        ep->kind = e < 2 * sessions ? K_RELAYED : K_DIRECT;
        ep->hdrlen = ep->rx_hdrlen = 4;
    }
    for (int c = 0; c < sessions; c++) fill_random(calls[c].keys, 64);

    long rss_before = fwd_pid ? proc_rss_kb(fwd_pid) : -1;
    uint64_t t0 = now_ns();
    // ---- handshakes (or, for the plain forwarder, nothing to do)
    t_win0 = t_win1 = UINT64_MAX;
    hs_total = sessions;
    if (mode == M_FORWARD) {
        for (int c = 0; c < sessions; c++) { calls[c].state = S_READY; calls[c].channel = (uint32_t)c + 1; }
        hs_ready = sessions;
    } else {
        uint64_t give_up = t0 + (uint64_t)(hs_timeout_s * 1e9);
        while (hs_ready + hs_failed < hs_total) {
            uint64_t now = now_ns();
            if (now > give_up) break;
            while (hs_active < hs_window && hs_next < hs_total) {
                hs_active++;
                hs_enter((uint32_t)hs_next++, mode == M_HOPLINE ? S_A_COOKIE : S_T_ALLOC1, now);
            }
            tx_flush();
            rx_drain();
            tx_flush();
            now = now_ns();
            uint64_t next = now + 20000000ull;
            for (int c = 0; c < hs_next; c++) {
                struct call *k = &calls[c];
                if (k->state == S_READY || k->state == S_FAILED) continue;
                if (k->deadline <= now) {
                    if (++k->tries > 15) { hs_done((uint32_t)c, 0); continue; }
                    hs_retries++;
                    if (getenv("LOADGEN_DEBUG")) fprintf(stderr, "retry call %d state %d\n", c, k->state);
                    hs_send((uint32_t)c, now);
                }
                if (k->deadline < next) next = k->deadline;
            }
            tx_flush();
            sleep_until(next < now + 5000000ull ? next : now + 5000000ull, 1);
        }
        for (int c = 0; c < hs_next; c++)
            if (calls[c].state != S_READY && calls[c].state != S_FAILED) { calls[c].state = S_FAILED; hs_failed++; }
        for (int c = hs_next; c < hs_total; c++) { calls[c].state = S_FAILED; hs_failed++; }
    }
    uint64_t t_hs = now_ns();
    double hs_seconds = (double)(t_hs - t0) / 1e9;
    long rss_after_hs = fwd_pid ? proc_rss_kb(fwd_pid) : -1;

    if (idle_n) {
        // Idle sessions: nothing more to send; let the forwarder settle, then read its memory.
        uint64_t until = now_ns() + (uint64_t)(hold_s * 1e9);
        while (now_ns() < until) { rx_drain(); sleep_until(now_ns() + 50000000ull, 1); }
        long rss_hold = fwd_pid ? proc_rss_kb(fwd_pid) : -1;
        printf("{\"mode\": \"%s\", \"idle_sessions_requested\": %d, \"idle_sessions\": %d, \"failed\": %d, "
               "\"handshake_s\": %.3f, \"rss_before_kb\": %ld, \"rss_after_kb\": %ld, \"rss_hold_kb\": %ld, "
               "\"refused\": [%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu], \"handshake_retries\": %llu, "
               "\"control_unexpected\": %llu}\n",
               mode_text, idle_n, hs_ready, hs_failed, hs_seconds, rss_before, rss_after_hs, rss_hold,
               (unsigned long long)refused[0], (unsigned long long)refused[1], (unsigned long long)refused[2],
               (unsigned long long)refused[3], (unsigned long long)refused[4], (unsigned long long)refused[5],
               (unsigned long long)refused[6], (unsigned long long)refused[7], (unsigned long long)refused[8],
               (unsigned long long)hs_retries, (unsigned long long)ctrl_unexpected);
        return 0;
    }

    // ---- endpoint addressing per mode
    for (int c = 0; c < sessions; c++) {
        if (calls[c].state != S_READY) continue;
        struct endpoint *a = &eps[2 * c], *b = &eps[2 * c + 1];
        a->active = b->active = 1;
        if (mode == M_TURN) {
            a->dst = relay_addr;
            a->hdr[0] = 0x40; a->hdr[1] = 0x00;
            put16(a->hdr + 2, (uint16_t)(size - 4));
            b->dst = calls[c].relayed;
            b->hdrlen = 0;   // the peer sends the bare payload to the relayed address ...
            b->rx_hdrlen = 0;  // ... and receives it bare
        } else {
            uint32_t ch = calls[c].channel;
            uint8_t h[4] = {0x40, (uint8_t)(ch >> 16), (uint8_t)(ch >> 8), (uint8_t)ch};
            a->dst = b->dst = relay_addr;
            memcpy(a->hdr, h, 4);
            memcpy(b->hdr, h, 4);
        }
    }
    for (int e = 2 * sessions; e < eps_n; e++) {
        struct endpoint *ep = &eps[e];
        ep->active = 1;
        ep->dst.sin_family = AF_INET;
        ep->dst.sin_addr.s_addr = eps[ep->peer].ip;
        ep->dst.sin_port = htons((uint16_t)port);
        uint8_t h[4] = {0x40, 0xFF, 0xFF, 0xFF};
        memcpy(ep->hdr, h, 4);
    }
    // Sending order: every active endpoint once per period, evenly spaced, in a shuffled order.
    uint32_t *order = malloc(sizeof(uint32_t) * (size_t)eps_n);
    int m = 0;
    for (int e = 0; e < eps_n; e++) if (eps[e].active) order[m++] = (uint32_t)e;
    for (int i = m - 1; i > 0; i--) { int j = (int)(rng() % (uint64_t)(i + 1)); uint32_t t = order[i]; order[i] = order[j]; order[j] = t; }

    uint64_t period = (uint64_t)(1e9 / rate);
    uint64_t t_start = now_ns() + 10000000ull;
    t_win0 = t_start + (uint64_t)(warmup_s * 1e9);
    t_win1 = t_win0 + (uint64_t)(window_s * 1e9);
    uint64_t t_end = t_win1 + (uint64_t)(drain_s * 1e9);
    uint64_t fwd_cpu0 = 0, fwd_cpu1 = 0, self_cpu0 = 0, self_cpu1 = 0;
    long rss_win0 = -1, rss_win1 = -1;
    int win0_read = 0, win1_read = 0;
    uint64_t fwd_pcount0 = 0, fwd_pcount1 = 0, fwd_wait0 = 0, fwd_wait1 = 0;
    double fwd_user0 = 0, fwd_sys0 = 0, fwd_user1 = 0, fwd_sys1 = 0;
    struct udp_snmp snmp0 = {0, 0, 0, 0}, snmp1 = {0, 0, 0, 0};
    uint32_t gen_drops0 = 0, gen_drops1 = 0;
    uint64_t cycle = 0;
    int slot = 0;
    uint64_t max_late = 0;
    while (1) {
        uint64_t now = now_ns();
        if (!win0_read && now >= t_win0) {
            win0_read = 1;
            if (fwd_pid) {
                fwd_cpu0 = proc_cpu_ns(fwd_pid);
                fwd_pcount0 = last_pcount;
                fwd_wait0 = last_wait;
                proc_user_sys(fwd_pid, &fwd_user0, &fwd_sys0);
                rss_win0 = proc_rss_kb(fwd_pid);
            }
            self_cpu0 = proc_cpu_ns(getpid());
            snmp0 = read_udp_snmp();
            gen_drops0 = gen_rx_drops;
        }
        if (!win1_read && now >= t_win1) {
            win1_read = 1;
            if (fwd_pid) {
                fwd_cpu1 = proc_cpu_ns(fwd_pid);
                fwd_pcount1 = last_pcount;
                fwd_wait1 = last_wait;
                proc_user_sys(fwd_pid, &fwd_user1, &fwd_sys1);
                rss_win1 = proc_rss_kb(fwd_pid);
            }
            self_cpu1 = proc_cpu_ns(getpid());
            snmp1 = read_udp_snmp();
            gen_drops1 = gen_rx_drops;
        }
        if (now >= t_end) break;
        // Send everything due, in batches of --send-batch, each stamped just before its sendmmsg.
        if (m > 0 && now < t_win1) {
            int in_batch = 0, sent_now = 0;
            uint64_t ts = now;
            for (;;) {
                uint64_t due = t_start + cycle * period + (uint64_t)slot * period / (uint64_t)m;
                if (due > now || due >= t_win1) break;
                if (in_batch == send_batch) {
                    tx_flush();
                    in_batch = 0;
                    // A generator that falls behind still receives between bursts (its lateness is reported).
                    if (sent_now >= 8 * send_batch) break;
                    ts = now = now_ns();
                }
                sent_now++;
                uint64_t late = ts - due;
                if (due >= t_win0) {
                    uint64_t us = late / 1000;
                    late_hist[us < HIST_FINE ? us : HIST_FINE - 1]++;
                    late_n++;
                    if (us > max_late) max_late = us;
                }
                send_data(order[slot], ts);
                in_batch++;
                if (++slot == m) { slot = 0; cycle++; }
            }
            tx_flush();
        }
        rx_drain();
        uint64_t next = m > 0 ? t_start + cycle * period + (uint64_t)slot * period / (uint64_t)m : t_end;
        // Sends go out on a tick grid (--tick-us): what is due within a tick leaves together, like packets a NIC
        // coalesces; receives still wake the generator at once, so their timestamps stay exact.
        if (tick_ns > 1 && next > t_start) next = t_start + ((next - t_start + tick_ns - 1) / tick_ns) * tick_ns;
        if (next >= t_win1) next = now < t_win1 ? t_win1 : t_end;
        if (!win0_read && t_win0 < next) next = t_win0;
        if (next > t_end) next = t_end;
        if (tick_ns > 1 && next > now + tick_ns) next = now + tick_ns;  // read arrivals at least every tick
        sleep_until(next, tick_ns <= 1);
    }
    rx_drain();
    if (!win1_read) {
        fwd_cpu1 = fwd_pid ? proc_cpu_ns(fwd_pid) : 0;
        self_cpu1 = proc_cpu_ns(getpid());
        snmp1 = read_udp_snmp();
        gen_drops1 = gen_rx_drops;
    }

    // late percentiles
    double late_p50 = 0, late_p99 = 0;
    {
        uint64_t acc = 0, t50 = late_n / 2, t99 = (uint64_t)(late_n * 0.99);
        int got50 = 0;
        for (int b = 0; b < HIST_FINE; b++) {
            acc += late_hist[b];
            if (!got50 && acc > t50) { late_p50 = b; got50 = 1; }
            if (acc > t99) { late_p99 = b; break; }
        }
    }
    double win = (double)(t_win1 - t_win0) / 1e9;
    printf("{\"mode\": \"%s\", \"calls_requested\": %d, \"calls\": %d, \"handshake_failed\": %d, \"handshake_s\": %.3f, "
           "\"handshake_retries\": %llu, \"refused\": [%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu], "
           "\"direct_calls\": %d, \"tick_us\": %.1f, \"rate\": %.1f, \"size\": %d, \"window_s\": %.3f, "
           "\"sent_window\": %llu, \"received_of_window\": %llu, \"received_in_window\": %llu, "
           "\"direct_sent_window\": %llu, \"direct_received_of_window\": %llu, "
           "\"sent_total\": %llu, \"received_total\": %llu, "
           "\"lat_p50_us\": %.1f, \"lat_p90_us\": %.1f, \"lat_p99_us\": %.1f, \"lat_p999_us\": %.1f, \"lat_max_us\": %llu, "
           "\"direct_p50_us\": %.1f, \"direct_p90_us\": %.1f, \"direct_p99_us\": %.1f, \"direct_p999_us\": %.1f, \"direct_max_us\": %llu, "
           "\"fwd_cpu_ns\": %llu, \"fwd_threads\": %d, \"gen_cpu_ns\": %llu, "
           "\"rss_before_kb\": %ld, \"rss_after_handshake_kb\": %ld, \"rss_window_start_kb\": %ld, \"rss_window_end_kb\": %ld, "
           "\"gen_late_p50_us\": %.0f, \"gen_late_p99_us\": %.0f, \"gen_late_max_us\": %llu, "
           "\"bad_magic\": %llu, \"bad_destination\": %llu, \"bad_payload\": %llu, \"reordered\": %llu, "
           "\"unknown_destination\": %llu, \"control_unexpected\": %llu, \"drain_received\": %llu, \"send_errors\": %llu, "
           "\"udp_rcvbuf_errors_window\": %llu, \"udp_sndbuf_errors_window\": %llu, \"udp_no_ports_window\": %llu, "
           "\"gen_rx_drops_window\": %u, \"gen_rx_drops_total\": %u, "
           "\"fwd_switches_window\": %llu, \"fwd_user_s\": %.2f, \"fwd_sys_s\": %.2f, \"fwd_wait_ns\": %llu, "
           "\"max_arrival_gap_us\": %.0f, \"stalls_over_2ms_ms\": %.1f}\n",
           mode_text, calls_n, hs_ready, hs_failed, hs_seconds, (unsigned long long)hs_retries,
           (unsigned long long)refused[0], (unsigned long long)refused[1], (unsigned long long)refused[2],
           (unsigned long long)refused[3], (unsigned long long)refused[4], (unsigned long long)refused[5],
           (unsigned long long)refused[6], (unsigned long long)refused[7], (unsigned long long)refused[8],
           direct_n, tick_ns / 1e3, rate, size, win,
           (unsigned long long)sent_win[0], (unsigned long long)recv_win_sent[0], (unsigned long long)recv_in_window[0],
           (unsigned long long)sent_win[1], (unsigned long long)recv_win_sent[1],
           (unsigned long long)sent_total[0], (unsigned long long)recv_total[0],
           hist_pct(0, 0.5), hist_pct(0, 0.9), hist_pct(0, 0.99), hist_pct(0, 0.999), (unsigned long long)hist_max[0],
           hist_pct(1, 0.5), hist_pct(1, 0.9), hist_pct(1, 0.99), hist_pct(1, 0.999), (unsigned long long)hist_max[1],
           (unsigned long long)(fwd_cpu1 - fwd_cpu0), fwd_pid ? proc_threads(fwd_pid) : 0,
           (unsigned long long)(self_cpu1 - self_cpu0),
           rss_before, rss_after_hs, rss_win0, rss_win1,
           late_p50, late_p99, (unsigned long long)max_late,
           (unsigned long long)bad_magic, (unsigned long long)bad_dst, (unsigned long long)bad_payload,
           (unsigned long long)reordered, (unsigned long long)unknown_dst, (unsigned long long)ctrl_unexpected,
           (unsigned long long)drains, (unsigned long long)send_errors, snmp1.rcvbuf_errors - snmp0.rcvbuf_errors,
           snmp1.sndbuf_errors - snmp0.sndbuf_errors, snmp1.no_ports - snmp0.no_ports,
           gen_drops1 - gen_drops0, gen_rx_drops, (unsigned long long)(fwd_pcount1 - fwd_pcount0),
           fwd_user1 - fwd_user0, fwd_sys1 - fwd_sys0, (unsigned long long)(fwd_wait1 - fwd_wait0),
           max_gap / 1e3, stall_ns / 1e6);
    return 0;
}
