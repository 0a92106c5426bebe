# SPDX-License-Identifier: GPL-2.0-only
"""The classic pattern in Python: a Conn holds a file (os.open), a socket,
a pipe and an anonymous mmap; every ~10 ms three are opened and closed
correctly, one through close_abort(), which forgets the pipe's read end,
and one through close_detach(), which forgets the mapping (kept alive in a
list, as a handed-over buffer would be).

    fd_leak.py [--seconds S] [--hold H]   (see wl.py)

Prints "ready <pid>" once the loop starts."""

import mmap
import os
import socket
import time

import wl

BUF_SIZE = 2 * 4096
handed_over = []


class Conn:
    def __init__(self):
        self.file = os.open("/dev/null", os.O_RDONLY)  # LEAK:conn_file
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # LEAK:conn_sock
        self.rd, self.wr = os.pipe()  # LEAK:conn_pipe
        self.buf = mmap.mmap(-1, BUF_SIZE)  # LEAK:conn_buf

    def close(self):
        os.close(self.file)
        self.sock.close()
        os.close(self.rd)
        os.close(self.wr)
        self.buf.close()

    def close_abort(self):
        os.close(self.file)
        self.sock.close()
        os.close(self.wr)
        self.buf.close()

    def close_detach(self):
        os.close(self.file)
        self.sock.close()
        os.close(self.rd)
        os.close(self.wr)
        handed_over.append(self.buf)


def serve_ok():
    Conn().close()


def serve_fdleak():
    Conn().close_abort()


def serve_mapleak():
    Conn().close_detach()


def main():
    wl.start()
    wl.ready()
    while wl.running():
        for _ in range(3):
            serve_ok()
        serve_fdleak()
        serve_mapleak()
        time.sleep(0.01)
    wl.finish()


main()
