#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include "CSocketBatch.h"

_Static_assert(sizeof(CSocketBatch_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(CSocketBatch_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int CSocketBatch_sendmmsg(int fd, CSocketBatch_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}
