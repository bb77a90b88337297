"""Writes the sandbox's seccomp filter (classic BPF, as bubblewrap's --seccomp takes it) to stdout, built
with Debian's libseccomp binding (python3-seccomp).

Why each rule (docs/sandbox.md has the threat model):
- The runner is PID 1 of the sandbox and shares its uid with the programs, so every call that may act on
  another process of the same uid is allowed on the caller only: prlimit64, setpriority, the sched_set*
  family, ioprio_set, migrate_pages, move_pages. A program cannot change the runner's limits, priority,
  scheduling or memory placement, and so cannot harm or signal to the programs after it.
- SIGCHLD cannot be given a disposition (rt_sigaction with a new action). A child that exits then stays a
  zombie until a parent waits for it, so its CPU time always reaches a parent's count and the runner's
  count of the whole PID namespace (SIG_IGN or SA_NOCLDWAIT would let the kernel discard it).
- Memory the address-space limit (RLIMIT_AS) does not see is denied: System V shared memory, semaphores
  and message queues (a segment keeps its pages after the program detaches it, so four 200 MB segments
  under a 256 MB limit held 800 MB of the host's memory) and memfd_create (a memfd written with write()
  is never mapped: 16 processes of 256 descriptors of 16 MB files could hold 64 GB).
- Socket buffers keep the kernel's default size (setsockopt SO_SNDBUF/SO_RCVBUF and their FORCE forms):
  unread data is kernel memory, and 4 MB buffers let 35 unread socket pairs hold 258 MB under a 32 MB limit.
- Kernel objects that outlive a process or widen the attack surface are denied outright: keyrings
  (keyctl, add_key, request_key: they are per uid and survive the program), io_uring, bpf,
  perf_event_open, userfaultfd, ptrace and cross-process memory access, mounts and namespaces, the
  kernel log, module and kexec loading, and socket families other than Unix, IPv4, IPv6 and netlink
  (AF_VSOCK reaches the hypervisor; AF_ALG the kernel's crypto code).
Syscalls of another architecture (the 32-bit x86 ABI) kill the caller, libseccomp's default.
"""

import errno
import signal
import sys

import seccomp

SELF_ONLY = {  # syscall: (argument that names the target process, value meaning "the caller")
    "prlimit64": 0,
    "sched_setaffinity": 0,
    "sched_setscheduler": 0,
    "sched_setparam": 0,
    "sched_setattr": 0,
    "migrate_pages": 0,
    "move_pages": 0,
}
DENIED = [
    "shmget", "semget", "msgget", "memfd_create", "memfd_secret",
    "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "syslog",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "name_to_handle_at", "open_by_handle_at", "quotactl", "acct", "swapon", "swapoff", "reboot",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "vhangup", "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
]
SOCKET_FAMILIES = {1, 2, 10, 16}  # AF_UNIX, AF_INET, AF_INET6 (a private loopback), AF_NETLINK


def build():
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    for name, arg in SELF_ONLY.items():
        f.add_rule(deny, name, seccomp.Arg(arg, seccomp.NE, 0))
    # setpriority(which, who, prio) and ioprio_set(which, who, prio): PRIO_PROCESS 0 / IOPRIO_WHO_PROCESS 1, who 0
    f.add_rule(deny, "setpriority", seccomp.Arg(0, seccomp.NE, 0))
    f.add_rule(deny, "setpriority", seccomp.Arg(1, seccomp.NE, 0))
    f.add_rule(deny, "ioprio_set", seccomp.Arg(0, seccomp.NE, 1))
    f.add_rule(deny, "ioprio_set", seccomp.Arg(1, seccomp.NE, 0))
    f.add_rule(deny, "rt_sigaction", seccomp.Arg(0, seccomp.EQ, signal.SIGCHLD), seccomp.Arg(1, seccomp.NE, 0))
    for name in DENIED:
        f.add_rule(deny, name)
    # setsockopt(fd, SOL_SOCKET, SO_SNDBUF / SO_RCVBUF / SO_SNDBUFFORCE / SO_RCVBUFFORCE): buffers stay at their
    # defaults, since what a socket holds unread is kernel memory no limit of the program counts
    for optname in (7, 8, 32, 33):
        f.add_rule(deny, "setsockopt", seccomp.Arg(1, seccomp.EQ, 1), seccomp.Arg(2, seccomp.EQ, optname))
    for family in range(64):
        if family not in SOCKET_FAMILIES:
            for name in ("socket", "socketpair"):
                f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), name, seccomp.Arg(0, seccomp.EQ, family))
    return f


if __name__ == "__main__":
    sys.stdout.flush()
    build().export_bpf(sys.stdout)  # written to fd 1 directly: nothing else may go there
