// sendmmsg(2) for the relay's batched sends. Glibc's Swift module does not expose it (it needs _GNU_SOURCE,
// which a Clang module cannot turn on after the fact), so this header declares a struct with the layout of
// `struct mmsghdr` and a plain function; the .c file is compiled with _GNU_SOURCE and checks the layout.
#ifndef CSOCKETBATCH_H
#define CSOCKETBATCH_H

#include <sys/socket.h>

typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CSocketBatch_mmsghdr;

/// sendmmsg(2): sends `count` datagrams with one system call; returns how many went, or -1 with errno set.
int CSocketBatch_sendmmsg(int fd, CSocketBatch_mmsghdr *messages, unsigned int count, int flags);

#endif
