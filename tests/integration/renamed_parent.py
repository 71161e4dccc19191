#!/usr/bin/env python3
# renamed_parent.py [--nodump] PIDFILE CMD...: rename this process to
# "sshd" with prctl(PR_SET_NAME) (its comm, which any process may set),
# record "pid exe" in PIDFILE, run CMD as a child and exit with its status.
# The module must still name this process by its executable. --nodump also
# makes it non-dumpable (prctl(PR_SET_DUMPABLE, 0)): then only a reader
# with CAP_SYS_PTRACE may read its /proc/PID/exe.
import ctypes, os, subprocess, sys

PR_SET_DUMPABLE = 4
PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == "--nodump":
    del sys.argv[1]
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_DUMPABLE) failed: %s" % os.strerror(ctypes.get_errno()))
if libc.prctl(PR_SET_NAME, b"sshd", 0, 0, 0) != 0:
    sys.exit("prctl failed: %s" % os.strerror(ctypes.get_errno()))
with open(sys.argv[1], "w") as f:
    f.write("%d %s\n" % (os.getpid(), os.readlink("/proc/self/exe")))
sys.exit(subprocess.call(sys.argv[2:]))
