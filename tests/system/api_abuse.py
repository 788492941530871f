#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One abusive client against bftimed's HTTP API, and a well-behaved one
measuring what is left (tests/system/test_api_abuse.sh). Standard library
only. Every mode runs for --duration seconds at most, with a bounded number
of sockets, and prints one line of figures (key=value) when it ends.

  slowloris  --conns N: connections that send a request line and then one
             header line every --every seconds, never finishing; a
             connection the server closes is reopened (at most once a
             second each)
  idle       --conns N: connections that send nothing; reopened likewise
  flood      --conns N: keep-alive connections sending GET requests (status,
             peers, metrics, proofs, a 404) back to back as fast as the
             server answers
  probe      --count N: well-formed GET /v1/time requests, one connection
             each, every --every seconds; each must be answered 200 within
             --timeout seconds

The attack modes spread their connections round-robin over the source
addresses --from A,B,... (any of 127.0.0.0/8 binds on Linux loopback).
"""
import argparse
import errno
import selectors
import socket
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["slowloris", "idle", "flood", "probe"])
    p.add_argument("--target", required=True, help="host:port")
    p.add_argument("--from", dest="sources", default="127.0.0.1")
    p.add_argument("--conns", type=int, default=0)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--every", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--delay", type=float, default=0.0, help="probe: wait this long first")
    a = p.parse_args()
    host, port = a.target.rsplit(":", 1)
    a.addr = (host, int(port))
    a.sources = a.sources.split(",")
    return a


def open_conn(addr, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((src, 0))
    try:
        s.connect(addr)
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return None
    return s


class Slot:
    def __init__(self, src):
        self.src = src
        self.sock = None
        self.next_open = 0.0
        self.next_send = 0.0
        self.sent_line = False
        self.buf = b""
        self.pending = 0  # flood: bytes of answer still expected, -1 headers
        self.req = 0


def attack(a):
    sel = selectors.DefaultSelector()
    slots = [Slot(a.sources[i % len(a.sources)]) for i in range(a.conns)]
    t_end = time.monotonic() + a.duration
    opened = closed_by_server = open_failed = requests = answered = 0
    statuses = {}
    max_open = 0
    paths = [b"/v1/status", b"/v1/peers", b"/metrics", b"/v1/proofs?limit=1000", b"/nothing", b"/v1/time"]

    def drop(sl, by_server):
        nonlocal closed_by_server
        if sl.sock is None:
            return
        try:
            sel.unregister(sl.sock)
        except (KeyError, ValueError):
            pass
        sl.sock.close()
        sl.sock = None
        sl.next_open = time.monotonic() + 1.0
        if by_server:
            closed_by_server += 1

    def send_request(sl):
        nonlocal requests
        path = paths[sl.req % len(paths)]
        sl.req += 1
        try:
            sl.sock.send(b"GET " + path + b" HTTP/1.1\r\nHost: bftime\r\n\r\n")
        except OSError:
            drop(sl, True)
            return
        requests += 1
        sl.pending = -1
        sl.buf = b""

    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        n_open = 0
        for sl in slots:
            if sl.sock is None and now >= sl.next_open:
                sl.sock = open_conn(a.addr, sl.src)
                if sl.sock is None:
                    open_failed += 1
                    sl.next_open = now + 1.0
                    continue
                opened += 1
                sl.sent_line = False
                sl.next_send = now
                sl.pending = 0
                ev = selectors.EVENT_READ | (selectors.EVENT_WRITE if a.mode == "flood" else 0)
                sel.register(sl.sock, ev, sl)
            if sl.sock is None:
                continue
            n_open += 1
            if a.mode == "slowloris" and now >= sl.next_send:
                line = b"X-Slow: 1\r\n" if sl.sent_line else b"GET /v1/time HTTP/1.1\r\nHost: bftime\r\n"
                try:
                    sl.sock.send(line)
                    sl.sent_line = True
                    sl.next_send = now + a.every
                except BlockingIOError:
                    pass  # not connected yet: try again at the next turn
                except OSError:
                    drop(sl, True)
                    continue
        max_open = max(max_open, n_open)
        for key, ev in sel.select(timeout=0.05):
            sl = key.data
            if sl.sock is None:
                continue
            if ev & selectors.EVENT_WRITE:
                # connected (or failed): the flood starts its first request
                sel.modify(sl.sock, selectors.EVENT_READ, sl)
                err = sl.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    drop(sl, True)
                    continue
                if a.mode == "flood" and sl.pending == 0:
                    send_request(sl)
                continue
            try:
                data = sl.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                drop(sl, True)
                continue
            if not data:
                drop(sl, True)
                continue
            if a.mode != "flood":
                continue  # an answer (a 408, a 400): read and wait for the close
            sl.buf += data
            while sl.sock is not None:
                if sl.pending == -1:
                    end = sl.buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    head = sl.buf[:end].decode("latin-1").split("\r\n")
                    status = head[0].split(" ")[1] if " " in head[0] else "?"
                    statuses[status] = statuses.get(status, 0) + 1
                    length = 0
                    for h in head[1:]:
                        if h.lower().startswith("content-length:"):
                            length = int(h.split(":", 1)[1])
                    sl.buf = sl.buf[end + 4:]
                    sl.pending = length
                if sl.pending >= 0 and len(sl.buf) >= sl.pending:
                    sl.buf = sl.buf[sl.pending:]
                    answered += 1
                    send_request(sl)
                else:
                    break
    still = sum(1 for sl in slots if sl.sock is not None)
    for sl in slots:
        drop(sl, False)
    st = ",".join("%s:%d" % kv for kv in sorted(statuses.items())) or "-"
    print("mode=%s conns=%d opened=%d open_failed=%d closed_by_server=%d max_open=%d open_at_end=%d "
          "requests=%d answered=%d statuses=%s" % (a.mode, a.conns, opened, open_failed, closed_by_server,
                                                   max_open, still, requests, answered, st))


def probe(a):
    time.sleep(a.delay)
    ok = 0
    lat = []
    fails = []
    t_next = time.monotonic()
    for i in range(a.count):
        now = time.monotonic()
        if t_next > now:
            time.sleep(t_next - now)
        t_next = time.monotonic() + a.every
        t0 = time.monotonic()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        why = None
        data = b""
        try:
            s.bind((a.sources[0], 0))
            s.settimeout(a.timeout)
            s.connect(a.addr)
            s.sendall(b"GET /v1/time HTTP/1.1\r\nHost: bftime\r\nConnection: close\r\n\r\n")
            while True:
                left = a.timeout - (time.monotonic() - t0)
                if left <= 0:
                    why = "timeout"
                    break
                s.settimeout(left)
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except socket.timeout:
            why = "timeout"
        except OSError as e:
            why = errno.errorcode.get(e.errno, str(e))
        finally:
            s.close()
        dt = time.monotonic() - t0
        if why is None and not data.startswith(b"HTTP/1.1 200"):
            why = "status " + (data[:12].decode("latin-1") or "none")
        if why is None and b'"synced"' not in data:
            why = "no time in the answer"
        if why is None and dt > a.timeout:
            why = "late"
        if why is None:
            ok += 1
            lat.append(dt)
        else:
            fails.append("%d:%s@%.2fs" % (i + 1, why, dt))
    lat.sort()
    print("mode=probe answered=%d count=%d max_ms=%d median_ms=%d failures=%s" % (
        ok, a.count, int(lat[-1] * 1000) if lat else -1, int(lat[len(lat) // 2] * 1000) if lat else -1,
        ",".join(fails) or "-"))


def main():
    a = parse_args()
    try:
        if a.mode == "probe":
            probe(a)
        else:
            attack(a)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
