// cforward: the kernel's floor for a UDP relay hop (make bench-relay, bench/README.md).
//
// One UDP socket, recvmmsg/sendmmsg batches, Hopline's DATA header (0x40, channel u24). A flat table maps a
// channel to the first two distinct source addresses that sent on it; every later datagram from one of them is
// sent, untouched, to the other. No handshake, no tokens, no rate limits, no timers: the least work a
// forwarder can do per packet on Linux without kernel bypass.
//
//   cforward --listen 127.0.0.1:PORT [--batch 64] [--rcvbuf BYTES] [--sndbuf BYTES]
//
// Runs until SIGTERM/SIGINT, then prints one JSON line with its counters on stderr.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common.h"

#define MAX_BATCH 1024
#define CHANNELS (1u << 24)
#define BUF_SIZE 2048

struct side {
    uint32_t ip;    // network order; 0 = not learned
    uint16_t port;  // network order
};
struct entry {
    struct side a, b;
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }


int main(int argc, char **argv) {
    const char *listen_text = NULL;
    int batch = 64, rcvbuf = 4 << 20, sndbuf = 4 << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc) listen_text = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc) rcvbuf = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sndbuf") && i + 1 < argc) sndbuf = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: cforward --listen IP:PORT [--batch N] [--rcvbuf B] [--sndbuf B]\n");
            return 2;
        }
    }
    struct sockaddr_in listen_addr;
    if (!listen_text || parse_addr(listen_text, &listen_addr) != 0) {
        fprintf(stderr, "cforward: --listen IP:PORT required\n");
        return 2;
    }
    if (batch < 1) batch = 1;
    if (batch > MAX_BATCH) batch = MAX_BATCH;

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    // As root the FORCE variants go past net.core.[rw]mem_max; otherwise fall back to the capped ones.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (bind(fd, (struct sockaddr *)&listen_addr, sizeof listen_addr) != 0) { perror("bind"); return 1; }

    // The flat table: 16 Mi entries of 12 bytes, reserved lazily (only the pages of used channels are touched).
    struct entry *table = mmap(NULL, (size_t)CHANNELS * sizeof(struct entry), PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (table == MAP_FAILED) { perror("mmap"); return 1; }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;  // no SA_RESTART: a signal interrupts the blocking recvmmsg
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    static uint8_t bufs[MAX_BATCH][BUF_SIZE];
    static struct iovec rx_iov[MAX_BATCH], tx_iov[MAX_BATCH];
    static struct sockaddr_in rx_from[MAX_BATCH], tx_to[MAX_BATCH];
    static struct mmsghdr rx[MAX_BATCH], tx[MAX_BATCH];
    for (int i = 0; i < batch; i++) {
        rx_iov[i].iov_base = bufs[i];
        rx_iov[i].iov_len = BUF_SIZE;
        rx[i].msg_hdr.msg_iov = &rx_iov[i];
        rx[i].msg_hdr.msg_iovlen = 1;
        rx[i].msg_hdr.msg_name = &rx_from[i];
        tx[i].msg_hdr.msg_iov = &tx_iov[i];
        tx[i].msg_hdr.msg_iovlen = 1;
        tx[i].msg_hdr.msg_name = &tx_to[i];
        tx[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
    }

    uint64_t received = 0, forwarded = 0, dropped_header = 0, dropped_unknown = 0, dropped_no_peer = 0;
    uint64_t send_errors = 0, recv_calls = 0, send_calls = 0, channels_used = 0;
    while (!stop_requested) {
        for (int i = 0; i < batch; i++) rx[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
        int n = recvmmsg(fd, rx, (unsigned)batch, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("recvmmsg");
            break;
        }
        recv_calls++;
        received += (uint64_t)n;
        int out = 0;
        for (int i = 0; i < n; i++) {
            const uint8_t *p = bufs[i];
            unsigned len = rx[i].msg_len;
            if (len < 4 || p[0] != 0x40) { dropped_header++; continue; }
            uint32_t channel = ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
            struct entry *e = &table[channel];
            uint32_t ip = rx_from[i].sin_addr.s_addr;
            uint16_t port = rx_from[i].sin_port;
            const struct side *to;
            if (e->a.ip == ip && e->a.port == port) to = &e->b;
            else if (e->b.ip == ip && e->b.port == port) to = &e->a;
            else if (e->a.ip == 0) { e->a.ip = ip; e->a.port = port; channels_used++; to = &e->b; }
            else if (e->b.ip == 0) { e->b.ip = ip; e->b.port = port; to = &e->a; }
            else { dropped_unknown++; continue; }
            if (to->ip == 0) { dropped_no_peer++; continue; }
            tx_to[out].sin_family = AF_INET;
            tx_to[out].sin_addr.s_addr = to->ip;
            tx_to[out].sin_port = to->port;
            tx_iov[out].iov_base = bufs[i];
            tx_iov[out].iov_len = len;
            out++;
        }
        int done = 0;
        while (done < out) {
            int s = sendmmsg(fd, tx + done, (unsigned)(out - done), 0);
            send_calls++;
            if (s < 0) {
                if (errno == EINTR) continue;
                send_errors++;
                done++;  // skip the datagram the kernel refused (e.g. ECONNREFUSED from an ICMP)
                continue;
            }
            done += s;
            forwarded += (uint64_t)s;
        }
    }
    fprintf(stderr,
            "{\"received\": %llu, \"forwarded\": %llu, \"dropped_header\": %llu, \"dropped_unknown_source\": %llu, "
            "\"dropped_no_peer\": %llu, \"send_errors\": %llu, \"recvmmsg_calls\": %llu, \"sendmmsg_calls\": %llu, "
            "\"channels\": %llu}\n",
            (unsigned long long)received, (unsigned long long)forwarded, (unsigned long long)dropped_header,
            (unsigned long long)dropped_unknown, (unsigned long long)dropped_no_peer,
            (unsigned long long)send_errors, (unsigned long long)recv_calls, (unsigned long long)send_calls,
            (unsigned long long)channels_used);
    return 0;
}
