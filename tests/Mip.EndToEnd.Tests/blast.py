"""Sends COUNT identical minimum-size frames out of IFNAME as fast as one Python loop can, then prints a summary.

Usage: blast.py IFNAME DST_MAC SRC_MAC COUNT. Runs inside the lab's kernel namespace; bounded by COUNT.
"""
import errno
import socket
import sys
import time

ifname, dst, src, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
frame = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", "")) + b"\x88\xb5" + bytes(46)
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((ifname, 0))
send = sock.send
sent = retries = 0
start = time.perf_counter()
while sent < count:
    try:
        send(frame)
        sent += 1
    except OSError as e:
        if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
            raise
        retries += 1
elapsed = time.perf_counter() - start
print(f"sent {sent} frames in {elapsed:.3f} s ({sent / elapsed:.0f} frames/s), {retries} ENOBUFS retries")
