#!/usr/bin/env python3
"""Constant delay for the NAT lab on kernels without the netem qdisc (scripts/natlab.sh netem).

Runs inside a router namespace and serves an iptables NFQUEUE: each queued packet is let through
(NF_ACCEPT) `--delay-ms` after it was queued. Packets keep their order: they are released in
arrival order with one batch verdict, which accepts every packet up to a given id. Speaks the
nfnetlink_queue protocol directly (no libnetfilter_queue), copying only packet metadata.

Prints "ready" once the queue is bound; exits on SIGTERM (the kernel then drops what is queued).
"""
import argparse
import select
import signal
import socket
import struct
import sys
import time
from collections import deque

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_CONFIG = 2
NFQNL_MSG_VERDICT_BATCH = 3
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
SO_RCVBUFFORCE = 33


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


class Queue:
    def __init__(self, number):
        self.number = number
        self.seq = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        self.sock.bind((0, 0))

    def send(self, msg_type, attrs, flags=NLM_F_REQUEST):
        self.seq += 1
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(self.number)) + b"".join(attrs)
        header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, self.seq, 0)
        self.sock.send(header + body)

    def configure(self, maxlen):
        for attrs in (
            [attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, socket.AF_INET))],
            [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))],
            [attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen))],
        ):
            self.send(NFQNL_MSG_CONFIG, attrs, NLM_F_REQUEST | NLM_F_ACK)
            self.expect_ack()

    def expect_ack(self):
        data = self.sock.recv(65536)
        length, kind = struct.unpack_from("=IH", data)
        if kind == NLMSG_ERROR:
            (error,) = struct.unpack_from("=i", data, 16)
            if error != 0:
                raise OSError(-error, f"nfnetlink_queue config failed: {error}")

    def accept_up_to(self, packet_id):
        self.send(NFQNL_MSG_VERDICT_BATCH, [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id))])

    def packet_ids(self, data):
        """The packet ids of every NFQNL_MSG_PACKET in one recv's worth of netlink messages."""
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                at = offset + 20  # nlmsghdr + nfgenmsg
                end = offset + length
                while at + 4 <= end:
                    alen, atype = struct.unpack_from("=HH", data, at)
                    if alen < 4:
                        break
                    if atype & 0x7FFF == NFQA_PACKET_HDR:
                        (packet_id,) = struct.unpack_from("!I", data, at + 4)
                        yield packet_id
                        break
                    at += (alen + 3) & ~3
            offset += (length + 3) & ~3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--maxlen", type=int, default=20000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    queue = Queue(args.queue)
    queue.configure(args.maxlen)
    print("ready", flush=True)

    delay = args.delay_ms / 1000.0
    waiting = deque()  # (release time, packet id), in arrival order
    while True:
        now = time.monotonic()
        last_due = None
        while waiting and waiting[0][0] <= now:
            last_due = waiting.popleft()[1]
        if last_due is not None:
            queue.accept_up_to(last_due)
        timeout = max(0.0, waiting[0][0] - time.monotonic()) if waiting else None
        readable, _, _ = select.select([queue.sock], [], [], timeout)
        if not readable:
            continue
        try:
            data = queue.sock.recv(1 << 20)
        except OSError as err:
            # ENOBUFS: notices were lost; those packets are still queued and a later batch
            # verdict (every id up to a newer one) lets them through.
            print(f"recv: {err}", file=sys.stderr, flush=True)
            continue
        arrived = time.monotonic()
        for packet_id in queue.packet_ids(data):
            waiting.append((arrived + delay, packet_id))


if __name__ == "__main__":
    main()
