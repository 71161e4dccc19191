#!/usr/bin/env python3
"""blackhole.py MODE PORTFILE PIDFILE LOGFILE HOLD_S ADDR...: a TCP listener
whose accept queue is full, for tests/pam/test_pam_failopen.sh.

On every ADDR (the first picks a free port, the others take the same one)
it listens with backlog 0 and fills the queue with one connection of its
own, so the kernel drops further SYNs: a client's connect() hangs, as it
does against a daemon at its connection limit. ADDR prefixed with "-" is
only bound, never listened on: connections to it are refused (RST).
The port goes to PORTFILE. MODE:
  hold        nothing more: a black hole until killed.
  stop        wait for the pid in PIDFILE to connect (a SYN_SENT socket to
              the port), SIGSTOP it, keep the queue full for HOLD_S seconds
              (past its deadlines), SIGCONT. Repeated for every new connect
              attempt it makes: a requester stopping their own sudo during
              each connect, including the fail-open probe.
  stop-accept like stop, but while the process is stopped the listener
              starts accepting (the kernel completes the pending handshake
              on the client's next SYN); every accepted connection is
              logged as "conn BYTES" with the bytes the client sent.
LOGFILE gets one line per event ("stopped LPORT", "resumed", "conn N")."""
import os
import signal
import socket
import sys
import threading
import time

MODE, PORTFILE, PIDFILE, LOGFILE, HOLD_S = sys.argv[1:6]
ADDRS = sys.argv[6:]
HOLD_S = float(HOLD_S)


def log(line):
    with open(LOGFILE, "a") as f:
        f.write(line + "\n")


listeners, fillers, port = [], [], 0
for a in ADDRS:
    refuse = a.startswith("-")
    a = a.lstrip("-")
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((a, port))
    port = s.getsockname()[1]
    if refuse:
        listeners.append((s, False))
        continue
    s.listen(0)
    f = socket.socket(fam, socket.SOCK_STREAM)
    f.connect((a, port))	# sits in the accept queue: the queue is full
    fillers.append(f)
    listeners.append((s, True))
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(PORTFILE + ".tmp", PORTFILE)


def syn_sent():
    """Local ports of sockets in SYN_SENT towards our port."""
    out = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[3] == "02" and int(p[2].split(":")[1], 16) == port:
                        out.add(int(p[1].split(":")[1], 16))
        except OSError:
            pass
    return out


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def serve(s):
    while True:
        c, _ = s.accept()
        c.settimeout(HOLD_S + 5)
        got = b""
        try:
            while len(got) < 65536:
                b = c.recv(65536)
                if not b:
                    break
                got += b
        except OSError:
            pass
        log("conn %d" % len(got))
        c.close()


if MODE == "hold":
    signal.pause()

pid = 0
while not pid:
    try:
        with open(PIDFILE) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        pass
    time.sleep(0.02)
seen = set()
while alive(pid):
    new = syn_sent() - seen
    if not new:
        time.sleep(0.01)
        continue
    os.kill(pid, signal.SIGSTOP)
    seen |= new
    log("stopped %s" % " ".join(str(p) for p in sorted(new)))
    if MODE == "stop-accept" and fillers:
        for f in fillers:
            f.close()
        fillers = []
        for s, listening in listeners:
            if listening:
                threading.Thread(target=serve, args=(s,), daemon=True).start()
    time.sleep(HOLD_S)
    os.kill(pid, signal.SIGCONT)
    log("resumed")
time.sleep(0.5)	# let a last accepted connection be logged
log("exited")
