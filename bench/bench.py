#!/usr/bin/python3
"""bench.py: the orchestrator of bench/run.sh (standard library only).

Run it through bench/run.sh, which builds the binaries and puts it in a
private mount and PID namespace; `bench.py --report FILE.json` alone prints
the tables of a saved result file.  bench/README.md describes the method.

Topology: two network namespaces joined by a veth pair; the sender in the
first, pinned to CPU 0; the logger under test in the second, pinned to
CPU 1 (and journald, when a run uses it, also on CPU 1).  In the second
namespace an nft rule logs the test traffic and drops it:

    ip saddr 10.98.0.1 udp sport 40000 jump logit
    logit: counter log group 7 snaplen 128 prefix "bench: "   (K times)
           drop

K = 1, or 4 for the amplified point (4 records per packet).  The kernel-LOG
runs have `counter log prefix "<unique>: "` instead (no group).
"""

import argparse
import datetime
import glob
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

GROUP = 7
NS_S = "nflogd-bench-s"
NS_R = "nflogd-bench-r"
SRC_IP, DST_IP = "10.98.0.1", "10.98.0.2"
MAC_S, MAC_R = "02:00:00:00:98:01", "02:00:00:00:98:02"
SPORT = 40000
PREFIX = "bench: "
CLK_TCK = os.sysconf("SC_CLK_TCK")
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_DIR = "/run/log/journal"
ULOGD = "/usr/sbin/ulogd"
ULOGD_CONF = "/etc/ulogd.conf"
ULOGD_PLUGINS = "/usr/lib/x86_64-linux-gnu/ulogd"
NETLINK_NETFILTER = 12

# Rate points: name -> (packets/s, 0 = unpaced; log rules per packet)
POINTS = {
    "p20k": (20000, 1),
    "p100k": (100000, 1),
    "p200k": (200000, 1),
    "unpaced": (0, 1),
    "amp4": (0, 4),
}
POINT_LABEL = {
    "p20k": "20k pps", "p100k": "100k pps", "p200k": "200k pps",
    "unpaced": "unpaced", "amp4": "unpaced x4 rules",
}

# Loggers: name -> (kind, format, tuned, label)
LOGGERS = {
    "count": ("count", None, False, "count-only (floor)"),
    "nflogd-json": ("nflogd", "json", False, "nflogd JSON file"),
    "nflogd-log": ("nflogd", "log", False, "nflogd LOG file"),
    "nflogd-journal": ("nflogd", "journal", False, "nflogd -> journald"),
    "ulogd-json": ("ulogd", "json", False, "ulogd2 JSON (Debian conf)"),
    "ulogd-log": ("ulogd", "log", False, "ulogd2 LOGEMU (Debian conf)"),
    "ulogd-json-tuned": ("ulogd", "json", True, "ulogd2 JSON (tuned)"),
    "ulogd-log-tuned": ("ulogd", "log", True, "ulogd2 LOGEMU (tuned)"),
    "klog-journal": ("klog", "journal", False, "kernel LOG -> journald"),
}

# --callgrind: instructions per record (Bench.callgrind), packets/s and
# packets per logger kind.  20k/s fills nflogd's kernel batches (256
# records in 12.8 ms) as in the throughput runs; ulogd2 takes one record a
# datagram at any rate (Debian's configuration) and, slowed down by
# callgrind, keeps up only with a few hundred a second.
CALLGRIND_TRAFFIC = {"count": (20000, 10000), "nflogd": (20000, 10000), "ulogd": (400, 4000)}
CALLGRIND_LOGGERS = ("count", "nflogd-json", "nflogd-log", "nflogd-journal", "ulogd-json", "ulogd-log")

LATENCY_LOGGERS = ["nflogd-json", "nflogd-log", "ulogd-json", "ulogd-log",
                   "ulogd-json-tuned", "ulogd-log-tuned"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, timeout=60, input=None):
    """Run a command, return its stdout (text)."""
    r = subprocess.run(cmd, input=input, capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: "
                           f"{r.stderr.strip()[:2000]}")
    return r.stdout


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns, *cmd]


def in_r(*cmd):
    return in_ns(NS_R, *cmd)


def in_s(*cmd):
    return in_ns(NS_S, *cmd)


# ------------------------------------------------------------ /proc


def proc_ticks(pid):
    """utime + stime of the whole process (all threads), in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, IndexError, ValueError):
        return None


def proc_sched_ns(pid):
    """On-CPU time of the process's live threads (schedstat), ns."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total


def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def proc_ctxsw(pid):
    """Voluntary + involuntary context switches of the live threads."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except (OSError, ValueError):
                pass
    except OSError:
        return None
    return total


def netlink_drops(pid):
    """Drops of the process's NETLINK_NETFILTER sockets (/proc/net/netlink
    of its namespace)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", t)
            if m:
                inodes.add(m.group(1))
        drops = 0
        found = 0
        with open(f"/proc/{pid}/net/netlink") as f:
            next(f)
            for line in f:
                c = line.split()
                if len(c) >= 10 and c[9] in inodes and int(c[1]) == NETLINK_NETFILTER:
                    drops += int(c[8])
                    found += 1
        return drops if found else None
    except OSError:
        return None


def cpu_times():
    """/proc/stat per-CPU counters: {cpuN: [user nice system idle iowait
    irq softirq steal]}."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if re.match(r"cpu\d+ ", line):
                c = line.split()
                out[c[0]] = [int(x) for x in c[1:9]]
    return out


def cpu_busy(a, b):
    """Busy and softirq fraction of each CPU between two cpu_times()."""
    res = {}
    for cpu in sorted(a):
        d = [y - x for x, y in zip(a[cpu], b[cpu])]
        tot = sum(d) or 1
        res[cpu] = {"busy": round(1 - (d[3] + d[4]) / tot, 3),
                    "softirq": round(d[6] / tot, 3),
                    "steal": round(d[7] / tot, 3)}
    return res


def wait_for(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def host_other_ticks(pidns):
    """CPU ticks of user-space processes outside PID namespace pidns, with
    their reaped children, read from the host's /proc (fd 9, opened by
    run.sh and soak.sh before they enter their own namespace); None
    without it."""
    host = "/proc/self/fd/9"
    if not os.path.isdir(host):
        return None
    total = 0
    for p in os.listdir(host):
        if not p.isdigit():
            continue
        try:
            if os.readlink(f"{host}/{p}/ns/pid") == pidns:
                continue
            with open(f"{host}/{p}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[6]) & 0x00200000:       # PF_KTHREAD
                continue
            total += sum(int(x) for x in rest[11:15])
        except (OSError, ValueError, IndexError):
            continue
    return total


def veth_pair(ns_s, ns_r, src_ip, dst_ip, mac_s, mac_r, created):
    """Namespaces ns_s and ns_r (appended to created as they are made, for
    the cleanup) joined by a veth pair vs/vr, IPv4 only, static
    neighbours (no ARP in the traffic); raises RuntimeError when the
    sender cannot reach the receiver."""
    for ns in (ns_s, ns_r):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        run(["ip", "netns", "add", ns])
        created.append(ns)
        for s in ("net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1"):
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", s])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "-n", ns_s, "link", "add", "vs", "address", mac_s, "type", "veth",
         "peer", "name", "vr", "address", mac_r, "netns", ns_r])
    run(["ip", "-n", ns_s, "addr", "add", src_ip + "/24", "dev", "vs"])
    run(["ip", "-n", ns_r, "addr", "add", dst_ip + "/24", "dev", "vr"])
    run(["ip", "-n", ns_s, "link", "set", "vs", "up"])
    run(["ip", "-n", ns_r, "link", "set", "vr", "up"])
    run(["ip", "-n", ns_s, "neigh", "replace", dst_ip, "lladdr", mac_r,
         "nud", "permanent", "dev", "vs"])
    run(["ip", "-n", ns_r, "neigh", "replace", src_ip, "lladdr", mac_s,
         "nud", "permanent", "dev", "vr"])
    ok = wait_for(lambda: subprocess.run(
        ["ip", "netns", "exec", ns_s, "ping", "-q", "-c1", "-W1", dst_ip],
        capture_output=True).returncode == 0, 5, 0.2)
    if not ok:
        raise RuntimeError("no connectivity over the veth pair")


def count_lines(path):
    """Lines in a (large) file, read 4 MiB at a time."""
    with open(path, "rb") as f:
        return sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 22), b""))


def callgrind_functions(ann, records):
    """From callgrind_annotate's listing: the program's total instructions
    and the 15 functions with the most of their own, per record.  The
    threads' roots, still on the stack at the dump, are listed with
    everything under them: left out (by name, and as anything over half
    of the total)."""
    m = re.search(r"^\s*([\d,]+) +(?:\(100\.0%\) +)?PROGRAM TOTALS", ann, re.M)
    total = int(m.group(1).replace(",", "")) if m else None
    top = []
    for line in ann.splitlines():
        fm = re.match(r"^\s*([\d,]+) +(?:\(\s*[\d.]+%\) +)?(\S.*?):(\S+)( \[.*\])?$", line)
        if not fm or len(top) >= 15:
            continue
        ir = int(fm.group(1).replace(",", ""))
        fn = fm.group(3)
        if (re.match(r"(main|\(below|__libc_start|start_thread|clone|0x[0-9a-f]+$)", fn)
                or (total and ir * 2 > total)):
            continue
        top.append({"function": fn, "file": os.path.basename(fm.group(2)),
                    "ir_per_record": round(ir / records, 1) if records else None})
    return total, top


def callgrind_markdown(out):
    def cell(v):
        return "\u2013" if v is None else v
    lines = ["| logger | packets/s | logged | written | instructions / record | "
             "\u00f7 count-only | \u00f7 ulogd2 (Debian), same format |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for e in out["loggers"].values():
        lines.append(f"| {e['label']} | {e['rate']} | {e['logged']} | {e['written']} | "
                     f"{cell(e['ir_per_record'])} | {cell(e['x_count'])} | {cell(e['of_ulogd'])} |")
    m = out["meta"]
    lines.append("")
    lines.append(f"{m['date']}, nflogd {m['nflogd_git']}, {m['ulogd_version']}, kernel "
                 f"{m['kernel']}, {out['valgrind']}; user-space instructions only (callgrind "
                 "counters zeroed after the start, dumped after the drain).")
    return "\n".join(lines) + "\n"


def stop_proc(p, timeout=30, sig=signal.SIGTERM):
    """Signal, bounded wait, then SIGKILL.  Returns the exit code."""
    if p is None:
        return None
    if p.poll() is None:
        try:
            p.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    return p.returncode


# ------------------------------------------------------------ statistics


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rng(xs):
    xs = [x for x in xs if x is not None]
    return [min(xs), max(xs)] if xs else None


def pct(samples, p):
    """Nearest-rank percentile."""
    if not samples:
        return None
    s = sorted(samples)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


# ------------------------------------------------------------ the bench


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.realpath(args.build)
        self.repo = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
        self.nflogd = os.path.join(self.build, "nflogd")
        self.sender = os.path.join(self.build, "bench", "sender")
        self.counter = os.path.join(self.build, "bench", "nflog_count")
        self.tag = os.urandom(3).hex()
        self.tmp = None
        self.netns = []
        self.old_logall = None
        self.journald = None
        self.journald_readkmsg = None
        self.pings = 0
        self.runidx = 0
        self.group_defaults = None

    def source_dir(self):
        return build_source_dir(self.build, self.repo)

    # -------------------------------------------------- set-up / clean-up

    def setup(self):
        for b in (self.nflogd, self.sender, self.counter):
            if not os.access(b, os.X_OK):
                raise SystemExit(f"missing {b}: build it (bench/run.sh does)")
        for t in ("ip", "nft", "taskset", "journalctl"):
            if not shutil.which(t):
                raise SystemExit(f"missing tool: {t}")
        if os.cpu_count() < 2:
            raise SystemExit("needs 2 CPUs (sender on CPU 0, logger on CPU 1)")
        self.tmp = f"/tmp/nflogd-bench.{self.tag}"
        os.makedirs(self.tmp, mode=0o700)
        # The private mount namespace (run.sh): tmpfs for our files, the
        # netns bind mounts and journald's sockets and files.
        run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=12g", "bench-tmp", self.tmp])
        os.makedirs("/run/netns", exist_ok=True)
        run(["mount", "-t", "tmpfs", "-o", "mode=0755", "bench-netns", "/run/netns"])
        for d in ("/run/systemd", "/run/log"):
            os.makedirs(d, exist_ok=True)
            run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=10g", "bench-" + d[5:].replace("/", "-"), d])
        if os.path.isdir("/var/log/journal"):
            run(["mount", "-t", "tmpfs", "-o", "mode=0755", "bench-varlogjournal", "/var/log/journal"])
        for d in ("out", "run", "state", "conf", "logs"):
            os.makedirs(os.path.join(self.tmp, d))
        self.netns_setup()

    def cleanup(self):
        for p in getattr(self, "_live", []):
            stop_proc(p, 10)
        self.journald_stop()
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.restore_logall()
        if self.tmp and self.args.keep:
            # The tmpfs dies with the mount namespace: copy the small files.
            for d in ("conf", "logs", "run"):
                shutil.copytree(os.path.join(self.tmp, d), os.path.join(self.args.keep, d),
                                dirs_exist_ok=True)
            log(f"configurations, logs and samples copied to {self.args.keep}")
        if self.tmp:
            subprocess.run(["umount", self.tmp], capture_output=True)
            shutil.rmtree(self.tmp, ignore_errors=True)

    def restore_logall(self):
        if self.old_logall is not None:
            run(["sysctl", "-qw", f"net.netfilter.nf_log_all_netns={self.old_logall}"],
                check=False)
            self.old_logall = None

    def netns_setup(self):
        veth_pair(NS_S, NS_R, SRC_IP, DST_IP, MAC_S, MAC_R, self.netns)
        # journald runs in the receiving namespace (its socket is a file,
        # reachable from any), where its datagram queue gets the length a
        # systemd host gives it: PID 1 raises net.unix.max_dgram_qlen
        # from the kernel's 10 to 512 at boot, and the sysctl is read when
        # journald creates its socket.  This machine has no systemd as
        # PID 1, so the namespace is set up as systemd would have done.
        run(["ip", "netns", "exec", NS_R, "sysctl", "-qw", "net.unix.max_dgram_qlen=512"])

    # -------------------------------------------------- nft

    def nft_rules(self, kind, k, kprefix=None):
        """(Re)create table inet bench: fresh counters every run."""
        subprocess.run(in_r("nft", "delete", "table", "inet", "bench"), capture_output=True)
        if kind == "none":
            body = "drop"
            logit = ""
        else:
            if kind == "klog":
                stmt = f'counter log prefix "{kprefix}"'
            else:
                stmt = f'counter log group {GROUP} snaplen 128 prefix "{PREFIX}"'
            logit = "\n".join(f'\t\t{stmt} comment "bench-log-{i}"' for i in range(1, k + 1))
            body = "jump logit"
        text = f"""table inet bench {{
\tchain input {{
\t\ttype filter hook input priority 0; policy accept;
\t\tip saddr {SRC_IP} udp sport {SPORT} counter {body} comment "bench-in"
\t}}
\tchain logit {{
{logit}
\t\tdrop
\t}}
}}
"""
        run(in_r("nft", "-f", "-"), input=text)

    def nft_counters(self):
        j = json.loads(run(in_r("nft", "-j", "list", "table", "inet", "bench")))
        matched = logged = 0
        for item in j["nftables"]:
            rule = item.get("rule")
            if not rule:
                continue
            pk = sum(e["counter"]["packets"] for e in rule.get("expr", [])
                     if isinstance(e, dict) and "counter" in e)
            c = rule.get("comment", "")
            if c == "bench-in":
                matched = pk
            elif c.startswith("bench-log-"):
                logged += pk
        return matched, logged

    # -------------------------------------------------- sender

    def send(self, rate, seconds=None, count=None, batch=64, send_log=None):
        cmd = ["taskset", "-c", "0", *in_s(self.sender, "-d", DST_IP, "-S", str(SPORT),
                                          "-r", str(rate), "-b", str(batch))]
        if seconds:
            cmd += ["-t", str(seconds)]
        if count:
            cmd += ["-n", str(count)]
        if send_log:
            cmd += ["--send-log", send_log]
        out = run(cmd, timeout=(seconds or (count or 0) / max(rate, 1)) + 60)
        return json.loads(out.strip().splitlines()[-1])

    # -------------------------------------------------- journald

    def journald_start(self, readkmsg):
        self.journald_stop()
        shutil.rmtree(JOURNAL_DIR, ignore_errors=True)
        os.makedirs(JOURNAL_DIR, exist_ok=True)
        for f in os.listdir("/run/systemd"):
            if f != "journald.conf.d":
                shutil.rmtree(os.path.join("/run/systemd", f), ignore_errors=True)
        os.makedirs("/run/systemd/journal", exist_ok=True)
        os.makedirs("/run/systemd/journald.conf.d", exist_ok=True)
        # journald's defaults, except: volatile storage in our tmpfs, no
        # forwarding, no rate limit (nflogd's unit turns it off: it would
        # discard records uncounted), room for every entry of a run, and
        # the kernel log only for the kernel-LOG runs.
        with open("/run/systemd/journald.conf.d/bench.conf", "w") as f:
            f.write(f"""[Journal]
Storage=volatile
ReadKMsg={'yes' if readkmsg else 'no'}
RateLimitIntervalSec=0
RateLimitBurst=0
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RuntimeMaxUse=8G
RuntimeKeepFree=256M
RuntimeMaxFileSize=1G
""")
        logf = open(os.path.join(self.tmp, "logs", "journald.log"), "a")
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        # nsenter, not "ip netns exec": that remounts /sys without the
        # cgroup file system journald needs.
        self.journald = subprocess.Popen(["nsenter", f"--net=/run/netns/{NS_R}",
                                          "taskset", "-c", "1", JOURNALD],
                                         stdout=logf, stderr=logf, env=env)
        self.journald_readkmsg = readkmsg
        self.pings += 1
        n = self.pings

        def stored():
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.sendto(f"MESSAGE=bench ping\nBENCH_PING={n}\n".encode(),
                         "/run/systemd/journal/socket")
                s.close()
            except OSError:
                return False
            out = subprocess.run(["journalctl", "-D", JOURNAL_DIR, "--no-pager",
                                  "-o", "cat", f"BENCH_PING={n}"],
                                 capture_output=True, text=True).stdout
            return "bench ping" in out
        if not wait_for(stored, 15, 0.1):
            raise RuntimeError("systemd-journald did not start")
        if readkmsg:
            # It imports the kernel ring buffer first: wait until idle.
            self.wait_idle([self.journald.pid], 20)

    def journald_stop(self):
        if self.journald is not None:
            stop_proc(self.journald, 15)
            self.journald = None

    def journal_count(self, matches, prefix):
        """Entries matching, whose MESSAGE starts with prefix."""
        p1 = subprocess.Popen(["journalctl", "-D", JOURNAL_DIR, "--no-pager",
                               "-o", "cat", *matches], stdout=subprocess.PIPE)
        n = 0
        pb = prefix.encode()
        for line in p1.stdout:
            if line.startswith(pb):
                n += 1
        p1.wait(120)
        return n

    def wait_idle(self, pids, timeout, quiet=1.0, step=0.2, path=None):
        """Until the processes use (almost) no CPU and path does not grow
        for `quiet` seconds.  Returns the seconds waited."""
        t0 = time.monotonic()
        last = None
        calm = 0.0
        self.last_activity = t0
        while time.monotonic() - t0 < timeout:
            cpu = sum(proc_sched_ns(p) or 0 for p in pids)
            size = os.path.getsize(path) if path and os.path.exists(path) else 0
            now = time.monotonic()
            if last is not None and cpu - last[0] < 3_000_000 and size == last[1]:
                calm += step
                if calm >= quiet:
                    break
            else:
                calm = 0.0
                self.last_activity = now
            last = (cpu, size)
            time.sleep(step)
        return time.monotonic() - t0

    # -------------------------------------------------- loggers

    def nflogd_conf(self, fmt, name):
        rt = os.path.join(self.tmp, "run", name)
        st = os.path.join(self.tmp, "state", name)
        os.makedirs(rt, exist_ok=True)
        os.makedirs(st, exist_ok=True)
        out = os.path.join(self.tmp, "out", f"{name}.{'json' if fmt == 'json' else 'log'}")
        if fmt == "journal":
            outputs = '{ name = "journal"; type = "journal"; }'
            outname = "journal"
            out = None
        elif fmt == "json":
            outputs = f'{{ name = "json"; type = "file"; path = "{out}"; format = "json"; }}'
            outname = "json"
        else:
            outputs = f'{{ name = "text"; type = "file"; path = "{out}"; format = "log"; }}'
            outname = "text"
        # nflogd's defaults everywhere (group settings, queue sizes, line
        # style) except what the benchmark must set: where its files go,
        # no rule installation (the harness's nft rule logs, the same rule
        # for every logger), the group, the output and the rule's prefix.
        conf = f"""# generated by bench/bench.py
runtime_dir = "{rt}";
state_dir = "{st}";
firewall = {{ backend = "none"; }};
outputs = ( {outputs} );
rules = ( {{ name = "bench"; group = {GROUP}; prefix = "{PREFIX}"; action = "drop";
            outputs = [ "{outname}" ]; }} );
"""
        path = os.path.join(self.tmp, "conf", f"{name}.conf")
        with open(path, "w") as f:
            f.write(conf)
        return path, out, rt

    def get_group_defaults(self):
        """nflogd's kernel batch settings for the group, from --print-config
        (the count-only receiver uses the same)."""
        if self.group_defaults is None:
            path, _, _ = self.nflogd_conf("json", "printcfg")
            text = run([self.nflogd, "--print-config", "-c", path])
            d = {}
            for key in ("copy_range", "queue_threshold", "flush_timeout", "nlbufsiz", "rcvbuf"):
                m = re.search(rf"\b{key}\s*=\s*(\d+)", text)
                if not m:
                    raise RuntimeError(f"--print-config has no {key}")
                d[key] = int(m.group(1))
            self.group_defaults = d
        return self.group_defaults

    def ulogd_conf(self, fmt, tuned, name):
        """Debian's /etc/ulogd.conf, adapted only as needed: our log file,
        one stack reading group 7 with the output under test, the output's
        file.  Tuned: bigger socket buffer (and a maximum above it, or
        ulogd does not apply it), larger kernel batches with a short
        timeout, a bigger receive buffer, and sync=0."""
        with open(ULOGD_CONF) as f:
            lines = f.read().splitlines()
        out = os.path.join(self.tmp, "out", f"{name}.{'json' if fmt == 'json' else 'log'}")
        ulog = os.path.join(self.tmp, "logs", f"{name}.ulogd.log")
        if fmt == "json":
            # Debian's commented JSON stack, on group 7.
            stack = "log2:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,mac2str1:HWHDR,json1:JSON"
        else:
            stack = "log2:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,print1:PRINTPKT,emu1:LOGEMU"
        res = []
        section = None
        for line in lines:
            s = line.strip()
            m = re.match(r"\[(\w+)\]", s)
            if m:
                section = m.group(1)
                res.append(line)
                if section == "log2" and tuned:
                    res += ["netlink_socket_buffer_size=8388608",
                            "netlink_socket_buffer_maxsize=33554432",
                            "netlink_qthreshold=64",
                            "netlink_qtimeout=2",
                            "bufsize=1048576"]
                if section == "json1":
                    res.append(f'file="{out}"')
                continue
            if section == "global" and s.startswith("logfile="):
                line = f'logfile="{ulog}"'
            elif section == "global" and s.startswith("stack="):
                line = "#" + line
            elif section == "log2" and s.startswith("group="):
                line = f"group={GROUP}"
            elif section == "emu1" and s.startswith("file="):
                line = f'file="{out}"'
            elif section in ("emu1", "json1") and s.startswith("sync=") and tuned:
                line = "sync=0"
            res.append(line)
            if section == "global" and s.startswith("loglevel="):
                res.append(f"stack={stack}")
        path = os.path.join(self.tmp, "conf", f"{name}.conf")
        with open(path, "w") as f:
            f.write("\n".join(res) + "\n")
        return path, out, ulog

    def start_logger(self, name, wrap=()):
        """Start logger `name` (wrap: a command in front of its binary,
        e.g. valgrind); returns a dict describing it."""
        kind, fmt, tuned, _ = LOGGERS[name]
        lg = {"name": name, "kind": kind, "fmt": fmt, "proc": None, "out": None,
              "journald": fmt == "journal"}
        if lg["journald"]:
            self.journald_start(readkmsg=(kind == "klog"))
        errf = open(os.path.join(self.tmp, "logs", f"{name}.stderr"), "a")
        self.runidx += 1
        if kind == "count":
            d = self.get_group_defaults()
            stats = os.path.join(self.tmp, "run", "count.json")
            if os.path.exists(stats):
                os.unlink(stats)
            outf = os.path.join(self.tmp, "logs", "count.out")
            lg["stats"], lg["stdout"] = stats, outf
            p = subprocess.Popen(["taskset", "-c", "1", *in_r(
                *wrap, self.counter, "-g", str(GROUP), "--copy-range", str(d["copy_range"]),
                "--qthresh", str(d["queue_threshold"]), "--timeout", str(d["flush_timeout"]),
                "--nlbufsiz", str(d["nlbufsiz"]), "--rcvbuf", str(d["rcvbuf"]),
                "--stats", stats)], stdout=open(outf, "w"), stderr=errf)
            lg["proc"] = p
            if not wait_for(lambda: os.path.exists(stats) or p.poll() is not None, 10):
                raise RuntimeError("nflog_count did not start")
        elif kind == "nflogd":
            conf, out, rt = self.nflogd_conf(fmt, name)
            run([self.nflogd, "--check-config", "-c", conf])
            if out and os.path.lexists(out):
                os.unlink(out)
            if out and self.args.null_files:
                # The output's path, a link to /dev/null: what nflogd
                # costs without the page cache (removing it leaves
                # /dev/null alone).
                os.symlink("/dev/null", out)
            st = os.path.join(rt, "status.json")
            if os.path.exists(st):
                os.unlink(st)
            p = subprocess.Popen(["taskset", "-c", "1", *in_r(
                *wrap, self.nflogd, "-c", conf, "--log-target", "stderr")],
                stdout=errf, stderr=errf)
            lg.update(proc=p, conf=conf, out=out, status_path=st)

            def ready():
                if p.poll() is not None:
                    return True
                try:
                    with open(st) as f:
                        return json.load(f).get("pid") == p.pid
                except (OSError, ValueError):
                    return False
            if not wait_for(ready, 15) or p.poll() is not None:
                raise RuntimeError(f"nflogd did not start (see {errf.name})")
        elif kind == "ulogd":
            conf, out, ulog = self.ulogd_conf(fmt, tuned, name)
            for f in (out, ulog):
                if os.path.exists(f):
                    os.unlink(f)
            p = subprocess.Popen(["taskset", "-c", "1", *in_r(*wrap, ULOGD, "-c", conf)],
                                 stdout=errf, stderr=errf)
            lg.update(proc=p, conf=conf, out=out, ulog=ulog)

            def ready():
                if p.poll() is not None:
                    return True
                try:
                    with open(ulog) as f:
                        return "entering main loop" in f.read()
                except OSError:
                    return False
            if not wait_for(ready, 15) or p.poll() is not None:
                raise RuntimeError(f"ulogd did not start (see {ulog})")
        elif kind == "klog":
            lg["kprefix"] = f"nb{self.tag}{self.runidx:04d}: "
        self._live = [x for x in (lg["proc"],) if x]
        return lg

    def logger_pids(self, lg):
        pids = []
        if lg["proc"]:
            pids.append(lg["proc"].pid)
        if lg["journald"] and self.journald:
            pids.append(self.journald.pid)
        return pids

    def nflogd_status(self, lg):
        try:
            return json.loads(run([self.nflogd, "--status", "--json", "-c", lg["conf"]]))
        except (RuntimeError, ValueError):
            return None

    # -------------------------------------------------- one run

    def run_point(self, name, point, rep, duration):
        rate, k = POINTS[point]
        kind, fmt, tuned, label = LOGGERS[name]
        lg = self.start_logger(name)
        self.nft_rules("klog" if kind == "klog" else "nflog", k, lg.get("kprefix"))
        time.sleep(0.3)
        main_pid = lg["proc"].pid if lg["proc"] else self.journald.pid
        watch = self.logger_pids(lg)
        jd_pid = self.journald.pid if lg["journald"] else None

        t_cpu0 = {p: proc_ticks(p) for p in watch}
        s_cpu0 = {p: proc_sched_ns(p) for p in watch}
        cs0 = proc_ctxsw(main_pid)
        stat0 = cpu_times()
        other0 = self.other_ticks()
        t0 = time.monotonic()
        snd = self.send(rate, seconds=duration)
        t1 = time.monotonic()
        stat1 = cpu_times()
        other1 = self.other_ticks()
        self.wait_idle(watch, 60, quiet=1.2 if kind != "klog" else 1.0, path=lg["out"])
        t2 = time.monotonic()
        t_active = max(self.last_activity, t1)
        t_cpu1 = {p: proc_ticks(p) for p in watch}
        s_cpu1 = {p: proc_sched_ns(p) for p in watch}
        cs1 = proc_ctxsw(main_pid)
        hwm = {p: proc_status(p, "VmHWM") for p in watch}
        drops = netlink_drops(main_pid) if kind != "klog" else None
        matched, logged = self.nft_counters()
        status_running = self.nflogd_status(lg) if kind == "nflogd" else None

        res = {"logger": name, "label": label, "kind": kind, "format": fmt,
               "tuned": tuned, "point": point, "rate_target": rate, "rules": k,
               "rep": rep, "duration": duration, "sent": snd["sent"],
               "send_rate": snd["rate"], "send_seconds": snd["seconds"],
               "send_errors": snd["errors"], "matched": matched, "logged": logged,
               "drain_seconds": round(t2 - t1, 2), "cpu_busy": cpu_busy(stat0, stat1),
               "other_cpu_s": (other1 - other0) / CLK_TCK
               if other0 is not None and other1 is not None else None}

        # Stop the logger (a file logger's last buffered lines are written
        # at exit), then count what it wrote.
        if kind == "nflogd":
            rc = stop_proc(lg["proc"], 60)
            res["exit_code"] = rc
            final = None
            try:
                with open(lg["status_path"]) as f:
                    final = json.load(f)
                if final.get("pid") != lg["proc"].pid or final.get("running"):
                    final = None
            except (OSError, ValueError):
                final = None
            st = final or status_running
            g = st["groups"][0] if st else {}
            outs = [o for r in (st["rules"] if st else []) for o in r["outputs"]]
            ns = {x: g.get(x, 0) for x in ("kernel_logged", "received", "lost",
                                           "overruns", "kernel_drops", "malformed",
                                           "truncated")}
            # true: batches dropped after the last packet, not in lost
            ns["uncounted"] = bool(g.get("uncounted", False))
            for x in ("written", "failed", "dropped", "pending"):
                ns[x] = sum(o.get(x, 0) for o in outs)
            ns["status_final"] = final is not None
            res["nflogd"] = ns
        elif kind == "ulogd":
            res["exit_code"] = stop_proc(lg["proc"], 30)
            try:
                with open(lg["ulog"]) as f:
                    res["ulogd_losing_msgs"] = sum(1 for line in f if "losing events" in line)
            except OSError:
                res["ulogd_losing_msgs"] = None
        elif kind == "count":
            res["exit_code"] = stop_proc(lg["proc"], 30)
            with open(lg["stdout"]) as f:
                res["count"] = json.loads(f.read().strip().splitlines()[-1])

        if fmt in ("json", "log") and kind == "nflogd" and self.args.null_files:
            written = res["nflogd"]["written"]     # /dev/null: its own count
        elif fmt in ("json", "log"):
            with open(lg["out"], "rb") as f:
                sample = f.read(8192).split(b"\n")[:2]
            written = count_lines(lg["out"])
            size = os.path.getsize(lg["out"])
            res["bytes_per_record"] = round(size / written, 1) if written else None
            with open(os.path.join(self.tmp, "logs", f"sample-{name}.txt"), "wb") as f:
                f.write(b"\n".join(sample) + b"\n")
            os.unlink(lg["out"])
        elif kind == "count":
            written = res["count"]["received"]
        elif kind == "klog":
            written = self.journal_count(["_TRANSPORT=kernel"], lg["kprefix"])
        else:
            written = self.journal_count(["SYSLOG_IDENTIFIER=nflogd"], PREFIX)
        if lg["journald"]:
            # Stop it now: its memory (the journal on tmpfs) goes with the run.
            res["journald_peak_rss_kb"] = proc_status(jd_pid, "VmHWM")
            self.journald_stop()
            shutil.rmtree(JOURNAL_DIR, ignore_errors=True)

        res["written"] = written
        res["loss"] = logged - written
        res["loss_pct"] = round(100.0 * (logged - written) / logged, 3) if logged else None
        # Records per second from the traffic's start to the last time the
        # logger (and journald) was seen working (0.2 s polls).
        busy = t_active - t0
        res["active_seconds"] = round(busy, 2)
        res["written_per_s"] = round(written / busy, 1) if busy > 0 else None

        def cpu_of(pid):
            a, b = t_cpu0.get(pid), t_cpu1.get(pid)
            return (b - a) / CLK_TCK if a is not None and b is not None else None

        def sched_of(pid):
            a, b = s_cpu0.get(pid), s_cpu1.get(pid)
            return (b - a) / 1e9 if a is not None and b is not None else None
        if lg["proc"]:
            p = lg["proc"].pid
            res["cpu_s"] = cpu_of(p)
            res["cpu_sched_s"] = sched_of(p)
            res["peak_rss_kb"] = hwm.get(p)
            res["netlink_drops"] = drops
        if jd_pid:
            res["journald_cpu_s"] = cpu_of(jd_pid)
            res["journald_cpu_sched_s"] = sched_of(jd_pid)
            if kind == "klog":
                res["cpu_s"] = res["journald_cpu_s"]
                res["cpu_sched_s"] = res["journald_cpu_sched_s"]
                res["peak_rss_kb"] = res["journald_peak_rss_kb"]
        if written and cs0 is not None and cs1 is not None:
            res["ctxsw_per_1k_records"] = round(1000.0 * (cs1 - cs0) / written, 2)
        if written and res.get("cpu_s") is not None:
            res["cpu_us_per_record"] = round(1e6 * res["cpu_s"] / written, 3)
            res["cpu_sched_us_per_record"] = round(1e6 * res["cpu_sched_s"] / written, 3)
        if written and jd_pid and res.get("journald_cpu_s") is not None:
            res["journald_cpu_us_per_record"] = round(1e6 * res["journald_cpu_s"] / written, 3)
        if kind == "nflogd":
            ns = res["nflogd"]
            ns["reported_loss"] = (ns["lost"] + ns["dropped"] + ns["failed"] +
                                   ns["pending"] + ns["malformed"])
            # An uncounted tail (an overrun at the end of the run) cannot
            # agree: nflogd says so instead of reporting less loss.
            ns["agree"] = ns["reported_loss"] == res["loss"] and ns["written"] == written
            if not ns["agree"] and ns["uncounted"]:
                ns["agree"] = "uncounted"

        elif kind == "count":
            c = res["count"]
            c["agree"] = c["lost"] == res["loss"]
        self._live = []
        return res

    # -------------------------------------------------- latency

    def latency(self, name, rate, count):
        """Each packet's time from send (kernel timestamp, for nflogd's
        JSON) to its line in the file: a reader on CPU 0 polls the file
        every 0.5 ms and notes when each line arrives."""
        kind, fmt, tuned, label = LOGGERS[name]
        lg = self.start_logger(name)
        self.nft_rules("nflog", 1)
        time.sleep(0.3)
        send_log = os.path.join(self.tmp, "logs", f"lat-{name}.send")
        arr = os.path.join(self.tmp, "logs", f"lat-{name}.arr")
        timeout = count / rate + 10
        reader = subprocess.Popen(["taskset", "-c", "0", sys.executable, os.path.abspath(__file__),
                                   "--tail", lg["out"], str(count), arr, str(timeout)])
        time.sleep(0.2)
        snd = self.send(rate, count=count, batch=1, send_log=send_log)
        try:
            reader.wait(timeout + 10)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()
        stop_proc(lg["proc"], 30)
        self._live = []
        sent_t = {}
        with open(send_log) as f:
            for line in f:
                s, port, t = line.split()
                sent_t[int(port)] = int(t)
        lat_send, lat_kernel = [], []
        n_lines = 0
        with open(arr) as f:
            for line in f:
                a = json.loads(line)
                n_lines += 1
                if a.get("dport") in sent_t:
                    lat_send.append((a["t"] - sent_t[a["dport"]]) / 1e6)
                if a.get("ts") is not None:
                    lat_kernel.append((a["t"] - a["ts"]) / 1e6)
        if lg["out"] and os.path.exists(lg["out"]):
            os.unlink(lg["out"])
        res = {"logger": name, "label": label, "rate": rate, "sent": snd["sent"],
               "lines": n_lines, "matched": len(lat_send)}
        for key, xs in (("from_send_ms", lat_send), ("from_kernel_ts_ms", lat_kernel)):
            if xs:
                res[key] = {"p50": round(pct(xs, 50), 3), "p90": round(pct(xs, 90), 3),
                            "p99": round(pct(xs, 99), 3), "max": round(max(xs), 3),
                            "n": len(xs)}
        return res

    # -------------------------------------------------- profile

    def profile(self, outdir, duration):
        """Where nflogd's time goes under the unpaced load, per output (and
        the count-only receiver for comparison); separate runs, not part of
        the results.  Per logger, two runs:
          1. perf record -e cpu-clock -g (flat profile, per thread, per
             thread and symbol) with perf stat counting syscalls, context
             switches and page faults per thread;
          2. perf trace -s: the syscalls per thread (adds overhead)."""
        if not shutil.which("perf"):
            log("perf not found: no profile")
            return
        os.makedirs(outdir, exist_ok=True)
        summary = {}
        for name in ("nflogd-json", "nflogd-log", "nflogd-journal", "count"):
            for mode in ("record", "trace"):
                lg = self.start_logger(name)
                self.nft_rules("nflog", 1)
                time.sleep(0.3)
                pid = str(lg["proc"].pid)
                data = os.path.join(self.tmp, "logs", f"{name}.perf.data")
                if mode == "record":
                    tools = [
                        subprocess.Popen(["taskset", "-c", "0", "perf", "record", "-e", "cpu-clock",
                                          "-F", "4999", "-g", "-p", pid, "-o", data, "--",
                                          "sleep", str(duration + 1.5)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                        subprocess.Popen(["taskset", "-c", "0", "perf", "stat", "--per-thread",
                                          "-e", "raw_syscalls:sys_enter,context-switches,page-faults",
                                          "-p", pid, "-o", os.path.join(outdir, f"{name}.stat.txt"),
                                          "--", "sleep", str(duration + 1.5)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
                else:
                    tools = [subprocess.Popen(
                        ["taskset", "-c", "0", "perf", "trace", "-s", "-p", pid,
                         "-o", os.path.join(outdir, f"{name}.trace.txt"), "--",
                         "sleep", str(duration + 1.5)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
                time.sleep(0.5)
                snd = self.send(0, seconds=duration)
                for t in tools:
                    try:
                        t.wait(duration + 60)
                    except subprocess.TimeoutExpired:
                        stop_proc(t, 10, signal.SIGINT)
                matched, logged = self.nft_counters()
                stop_proc(lg["proc"], 60)
                written = None
                if lg["out"] and os.path.exists(lg["out"]):
                    written = count_lines(lg["out"])
                    os.unlink(lg["out"])
                if lg["journald"]:
                    self.journald_stop()
                    shutil.rmtree(JOURNAL_DIR, ignore_errors=True)
                self._live = []
                entry = {"sent": snd["sent"], "logged": logged, "written": written}
                if lg["kind"] == "nflogd":
                    try:
                        with open(lg["status_path"]) as f:
                            st = json.load(f)
                        outs = [o for r in st["rules"] for o in r["outputs"]]
                        entry["nflogd"] = {
                            "main_thread_pid": lg["proc"].pid,
                            "lost": sum(g["lost"] for g in st["groups"]),
                            **{x: sum(o[x] for o in outs) for x in ("written", "dropped", "failed")}}
                    except (OSError, ValueError, KeyError):
                        pass
                summary.setdefault(name, {})[mode] = entry
                if mode == "record":
                    for what, args in (("flat", ["--sort", "comm,dso,symbol"]),
                                       ("threads", ["--sort", "pid"]),
                                       ("thread-symbols", ["--sort", "pid,dso,symbol"])):
                        txt = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none",
                                              "--no-children", "--percent-limit", "0.3", *args],
                                             capture_output=True, text=True).stdout
                        with open(os.path.join(outdir, f"{name}.{what}.txt"), "w") as f:
                            f.write(txt)
                    if self.args.keep:
                        shutil.copy(data, os.path.join(outdir, f"{name}.perf.data"))
                    os.unlink(data)
            log(f"profile of {name}: {outdir}/{name}.*.txt")
        with open(os.path.join(outdir, "runs.json"), "w") as f:
            json.dump(summary, f, indent=1)

    # -------------------------------------------------- the page cache

    def pagecache_write(self, mib=1024, chunk=256 << 10):
        """CPU time of writing `mib` MiB into a new file on the tmpfs the
        file outputs use, in writes of `chunk` bytes (the size of a writer
        batch): the kernel's share of every file record, which on a VM
        moves by 2x and more between runs (whether the host still backs
        the guest's free memory).  Reported with the results; microseconds
        per KiB."""
        path = os.path.join(self.tmp, "pagecache.probe")
        buf = b"x" * chunk
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            t0 = os.times()
            for _ in range(mib * (1 << 20) // chunk):
                os.write(fd, buf)
            t1 = os.times()
        finally:
            os.close(fd)
            os.unlink(path)
        cpu = (t1.system - t0.system) + (t1.user - t0.user)
        return {"mib": mib, "cpu_s": round(cpu, 3),
                "us_per_kib": round(cpu * 1e6 / (mib * 1024), 3) if cpu else None}

    # -------------------------------------------------- instruction counts

    def callgrind(self, outdir, names=CALLGRIND_LOGGERS, meta=None):
        """User-space instructions per record of each logger, counted by
        valgrind's callgrind: the same figure for the same binary and
        traffic whatever else the machine does, unlike the CPU times of
        this VM.  The counters are zeroed once the logger is up and dumped
        once it is idle again, so they hold the traffic and nothing of the
        start or the stop.  The kernel's share (the copy into the page
        cache, the syscalls) is not in them.  Traffic: CALLGRIND_TRAFFIC."""
        for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
            if not shutil.which(tool):
                log(f"{tool} not found: no instruction counts")
                return None
        os.makedirs(outdir, exist_ok=True)
        out = {"meta": {k: (meta or {}).get(k) for k in
                        ("date", "kernel", "cpu", "nflogd_git", "ulogd_version")},
               "valgrind": quiet_out(["valgrind", "--version"]), "loggers": {}}
        for name in names:
            rate, count = CALLGRIND_TRAFFIC[LOGGERS[name][0]]
            base = os.path.join(outdir, f"{name}.callgrind")
            for old in glob.glob(base + "*"):
                os.unlink(old)
            lg = self.start_logger(name, wrap=["valgrind", "--tool=callgrind",
                                               f"--callgrind-out-file={base}",
                                               "--dump-instr=no"])
            self.nft_rules("nflog", 1)
            time.sleep(0.5)
            pid = str(lg["proc"].pid)
            run(["callgrind_control", "-z", pid])
            snd = self.send(rate, count=count)
            self.wait_idle([lg["proc"].pid], 120, quiet=2.0, path=lg["out"])
            run(["callgrind_control", "-d", pid])
            matched, logged = self.nft_counters()
            stop_proc(lg["proc"], 120)
            if lg["out"]:
                written = count_lines(lg["out"])
                os.unlink(lg["out"])
            elif lg["kind"] == "count":
                with open(lg["stdout"]) as f:
                    written = json.loads(f.read().strip().splitlines()[-1])["received"]
            else:
                written = self.journal_count(["SYSLOG_IDENTIFIER=nflogd"], PREFIX)
            if lg["journald"]:
                self.journald_stop()
                shutil.rmtree(JOURNAL_DIR, ignore_errors=True)
            self._live = []
            ann = subprocess.run(["callgrind_annotate", "--threshold=100", base + ".1"],
                                 capture_output=True, text=True).stdout
            with open(base + ".annotate.txt", "w") as f:
                f.write(ann)
            total, top = callgrind_functions(ann, written)
            out["loggers"][name] = {
                "label": LOGGERS[name][3], "rate": rate, "sent": snd["sent"], "logged": logged,
                "written": written, "ir": total,
                "ir_per_record": round(total / written) if total and written else None,
                "top": top}
            log(f"callgrind {name}: {written} records, "
                f"{out['loggers'][name]['ir_per_record']} instructions a record")
        fl = out["loggers"]
        floor = (fl.get("count") or {}).get("ir_per_record")
        for name, e in fl.items():
            ul = {"json": "ulogd-json", "log": "ulogd-log"}.get(LOGGERS[name][1])
            ref = (fl.get(ul) or {}).get("ir_per_record") if ul else None
            e["x_count"] = round(e["ir_per_record"] / floor, 2) if floor and e["ir_per_record"] else None
            e["of_ulogd"] = (round(e["ir_per_record"] / ref, 3)
                             if ref and e["ir_per_record"] and LOGGERS[name][0] == "nflogd" else None)
        with open(os.path.join(outdir, "callgrind.json"), "w") as f:
            json.dump(out, f, indent=1)
        text = callgrind_markdown(out)
        with open(os.path.join(outdir, "callgrind.md"), "w") as f:
            f.write(text)
        print(text)
        return out

    # -------------------------------------------------- the rest of the machine

    def other_ticks(self):
        """CPU ticks used by user-space processes outside the benchmark's
        PID namespace (see host_other_ticks): other jobs on the machine
        disturb a run."""
        if not hasattr(self, "my_pidns"):
            self.my_pidns = os.readlink("/proc/self/ns/pid")
        return host_other_ticks(self.my_pidns)

    # -------------------------------------------------- kmsg readers

    def klog_ready(self):
        """Before each kernel-LOG run: nobody else reads /dev/kmsg (the
        flood would overrun them: another test's kernel-line reader), and
        nf_log_all_netns is 1 (someone else may have restored it)."""
        others = self.other_kmsg_readers()
        if others:
            log(f"kernel-LOG run skipped: /dev/kmsg is read by pids {others}")
            return False
        cur = run(["sysctl", "-n", "net.netfilter.nf_log_all_netns"]).strip()
        if cur != "1":
            if self.old_logall is None:
                self.old_logall = cur
            run(["sysctl", "-qw", "net.netfilter.nf_log_all_netns=1"])
        return True

    def other_kmsg_readers(self):
        """pids (host view) of processes other than ours with /dev/kmsg
        open: the kernel-LOG runs would overrun them."""
        host_proc = "/proc/self/fd/9"
        if not os.path.isdir(host_proc):
            return []
        pids = []
        for p in os.listdir(host_proc):
            if not p.isdigit():
                continue
            try:
                for fd in os.listdir(f"{host_proc}/{p}/fd"):
                    if os.readlink(f"{host_proc}/{p}/fd/{fd}") == "/dev/kmsg":
                        pids.append(int(p))
                        break
            except OSError:
                continue
        return pids


# ------------------------------------------------------------ report


def summarize(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["logger"], r["point"]), []).append(r)
    summary = []
    for (name, point), rs in groups.items():
        s = {"logger": name, "label": rs[0]["label"], "point": point,
             "rate_target": rs[0]["rate_target"], "rules": rs[0]["rules"], "runs": len(rs)}
        for key in ("send_rate", "sent", "logged", "written", "loss", "loss_pct",
                    "cpu_us_per_record", "cpu_sched_us_per_record", "peak_rss_kb",
                    "netlink_drops", "written_per_s", "journald_cpu_us_per_record",
                    "drain_seconds", "ctxsw_per_1k_records", "bytes_per_record",
                    "other_cpu_s", "active_seconds"):
            vals = [r.get(key) for r in rs]
            if any(v is not None for v in vals):
                s[key] = {"median": median(vals), "range": rng(vals)}
        if rs[0]["kind"] == "nflogd":
            ag = [r["nflogd"]["agree"] for r in rs]
            s["agree"] = (True if all(a is True for a in ag) else
                          "uncounted" if all(a in (True, "uncounted") for a in ag) else False)
            for key in ("lost", "overruns", "dropped", "failed", "pending"):
                s["nflogd_" + key] = {"median": median([r["nflogd"][key] for r in rs]),
                                      "range": rng([r["nflogd"][key] for r in rs])}
        if rs[0]["kind"] == "count":
            s["agree"] = all(r["count"]["agree"] for r in rs)
        summary.append(s)
    order = list(LOGGERS)
    porder = list(POINTS)
    summary.sort(key=lambda s: (porder.index(s["point"]), order.index(s["logger"])))
    return summary


def ratios(summary):
    by = {(s["logger"], s["point"]): s for s in summary}
    out = []
    for point in POINTS:
        for fmt in ("json", "log"):
            me = by.get((f"nflogd-{fmt}", point))
            if not me or "cpu_us_per_record" not in me:
                continue
            row = {"point": point, "format": fmt,
                   "nflogd_us": me["cpu_us_per_record"]["median"]}
            for other, key in ((f"ulogd-{fmt}", "vs_ulogd"), (f"ulogd-{fmt}-tuned", "vs_ulogd_tuned"),
                               ("count", "vs_count")):
                o = by.get((other, point))
                if o and "cpu_us_per_record" in o and o["cpu_us_per_record"]["median"]:
                    row[key] = round(row["nflogd_us"] / o["cpu_us_per_record"]["median"], 3)
                    row[key.replace("vs_", "") + "_us"] = o["cpu_us_per_record"]["median"]
            out.append(row)
    return out


def fmt_num(x, nd=1):
    if x is None:
        return "–"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.{nd}f}"
    return f"{int(x):,}"


def fmt_mr(d, nd=1, scale=1.0):
    """median (min–max)"""
    if not d:
        return "–"
    m = d["median"]
    lo, hi = d["range"]
    if m is None:
        return "–"
    m, lo, hi = (fmt_num(float(x * scale), nd) for x in (m, lo, hi))
    if lo == hi:
        return m
    return f"{m} ({lo}–{hi})"


def markdown(results):
    meta = results["meta"]
    summary = results["summary"]
    L = []
    L.append(f"Medians of {meta['reps']} run(s) of {meta['duration']} s of traffic per point, "
             f"range (min–max) in parentheses.  {meta['date']}, nflogd {meta['nflogd_git']} ({meta['nflogd_version']}), "
             f"{meta['ulogd_version']}, kernel {meta['kernel']}.")
    L.append("")
    L.append("| point | logger | sent pps | logged | written | loss % | CPU µs/record | peak RSS MiB | netlink drops | agree |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|")
    for s in summary:
        agree = {True: "yes", False: "**no**", "uncounted": "uncounted (said)"}.get(s.get("agree"), "")
        L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            POINT_LABEL[s["point"]], s["label"], fmt_mr(s.get("send_rate"), 0),
            fmt_mr(s.get("logged"), 0), fmt_mr(s.get("written"), 0),
            fmt_mr(s.get("loss_pct"), 2), fmt_mr(s.get("cpu_us_per_record"), 2),
            fmt_mr(s.get("peak_rss_kb"), 1, 1 / 1024), fmt_mr(s.get("netlink_drops"), 0), agree))
    L.append("")
    rat = results.get("ratios") or []
    if rat:
        L.append("CPU per record, nflogd ÷ other (medians; < 1: nflogd cheaper):")
        L.append("")
        L.append("| point | format | nflogd µs | ulogd2 (Debian) µs | ratio | ulogd2 (tuned) µs | ratio | count-only µs | ratio |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rat:
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                POINT_LABEL[r["point"]], r["format"], fmt_num(r["nflogd_us"], 2),
                fmt_num(r.get("ulogd_us"), 2), fmt_num(r.get("vs_ulogd"), 3),
                fmt_num(r.get("ulogd_tuned_us"), 2), fmt_num(r.get("vs_ulogd_tuned"), 3),
                fmt_num(r.get("count_us"), 3), fmt_num(r.get("vs_count"), 2)))
        L.append("")
    by = {(s["logger"], s["point"]): s for s in summary}
    jrows = [(p, by.get(("nflogd-journal", p)), by.get(("klog-journal", p))) for p in POINTS]
    jrows = [j for j in jrows if j[1] or j[2]]
    if jrows:
        L.append("Journal: entries journald stored per second (traffic start to drained), and "
                 "where the rest went (nflogd: lost in the kernel / dropped at its queue / failed):")
        L.append("")
        L.append("| point | nflogd → journald entries/s | nflogd loss % | nflogd lost / dropped / failed | "
                 "nflogd CPU µs/rec | journald CPU µs/entry (nflogd) | kernel LOG → journald entries/s | "
                 "kernel LOG loss % | journald CPU µs/entry (kernel LOG) |")
        L.append("|---|---:|---:|---|---:|---:|---:|---:|---:|")
        for p, n, k in jrows:
            nl = "–"
            if n:
                nl = " / ".join(fmt_num(n[f"nflogd_{x}"]["median"], 0) for x in ("lost", "dropped", "failed"))
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                POINT_LABEL[p], fmt_mr(n and n.get("written_per_s"), 0), fmt_mr(n and n.get("loss_pct"), 2),
                nl, fmt_mr(n and n.get("cpu_us_per_record"), 2),
                fmt_mr(n and n.get("journald_cpu_us_per_record"), 2),
                fmt_mr(k and k.get("written_per_s"), 0), fmt_mr(k and k.get("loss_pct"), 2),
                fmt_mr(k and k.get("cpu_us_per_record"), 2)))
        L.append("")
    det = [s for s in summary if s["logger"].startswith("nflogd-")]
    if det:
        L.append("nflogd in detail: where the loss is (kernel = sequence gaps, queue = its "
                 "output queue full), context switches and bytes per record:")
        L.append("")
        L.append("| point | output | lost in kernel | queue drops | write failures | "
                 "ctx switches / 1k records | bytes / record |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for s in det:
            L.append("| {} | {} | {} | {} | {} | {} | {} |".format(
                POINT_LABEL[s["point"]], s["logger"][7:], fmt_mr(s.get("nflogd_lost"), 0),
                fmt_mr(s.get("nflogd_dropped"), 0), fmt_mr(s.get("nflogd_failed"), 0),
                fmt_mr(s.get("ctxsw_per_1k_records"), 1), fmt_mr(s.get("bytes_per_record"), 0)))
        L.append("")
    lat = results.get("latency") or []
    if lat:
        L.append(f"Latency at {lat[0]['rate']:,} packets/s ({lat[0]['sent']:,} packets, one run): "
                 "send (≈ the kernel's timestamp) to the line being in the file, ms:")
        L.append("")
        L.append("| logger | lines | p50 | p90 | p99 | max | p50 / p99 from the record's kernel timestamp |")
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        for x in lat:
            a = x.get("from_send_ms") or {}
            b = x.get("from_kernel_ts_ms")
            L.append("| {} | {} | {} | {} | {} | {} | {} |".format(
                x["label"], fmt_num(x["lines"], 0), fmt_num(a.get("p50"), 2), fmt_num(a.get("p90"), 2),
                fmt_num(a.get("p99"), 2), fmt_num(a.get("max"), 2),
                f"{b['p50']:.2f} / {b['p99']:.2f}" if b else "–"))
        L.append("")
    noisy = [r for r in results.get("runs", []) if (r.get("other_cpu_s") or 0) > 0.2]
    if noisy:
        L.append("Runs during which other processes on the machine used more than 0.2 CPU-s "
                 "(after up to {} attempts): {}.".format(
                     1 + meta.get("retries", 0),
                     ", ".join(f"{r['logger']} {r['point']} #{r['rep']} ({r['other_cpu_s']:.2f} s)"
                               for r in noisy)))
        L.append("")
    cal = meta.get("sender_calibration")
    if cal:
        L.append("One sender core, unpaced (packets/s): "
                 + "; ".join(f"{k}: {fmt_num(v, 0)}" for k, v in cal.items()) + ".")
        L.append("")
    pcs = [meta.get(k) for k in ("pagecache_write_start", "pagecache_write_end")]
    if any(pc and pc.get("us_per_kib") for pc in pcs):
        L.append("Writing into the page cache of the outputs' tmpfs (256 KiB writes, CPU "
                 "µs per KiB), at the start / the end: "
                 + " / ".join(fmt_num(pc.get("us_per_kib"), 3) if pc else "–" for pc in pcs) + ".")
        L.append("")
    return "\n".join(L)


def dump_results(results, f):
    """JSON with one run (summary row, latency) per line: diffable, and a
    third of the size of an indented dump."""
    f.write("{\n")
    keys = list(results)
    for i, k in enumerate(keys):
        v = results[k]
        f.write(f" {json.dumps(k)}: ")
        if isinstance(v, list):
            f.write("[\n" + ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in v)
                    + ("\n ]" if v else "]"))
        else:
            f.write(json.dumps(v, ensure_ascii=False))
        f.write(",\n" if i < len(keys) - 1 else "\n")
    f.write("}\n")


# ------------------------------------------------------------ tail (latency reader)


def tail_main(path, count, out, timeout):
    """Poll path every 0.5 ms; for each complete line note the arrival time
    (CLOCK_REALTIME ns), its destination port and, for nflogd's JSON, the
    record's @timestamp."""
    re_dpt = re.compile(rb"DPT=(\d+)")
    re_jport = re.compile(rb'"destination":\{"ip":"[^"]*","port":(\d+)')
    re_uport = re.compile(rb'"dest_port": (\d+)')
    re_ts = re.compile(rb'"@timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z"')
    end = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.0005)
    n = 0
    buf = b""
    with open(path, "rb") as f, open(out, "w") as o:
        while n < count and time.monotonic() < end:
            data = f.read()
            if not data:
                time.sleep(0.0005)
                continue
            t = time.time_ns()
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                n += 1
                rec = {"t": t}
                m = re_dpt.search(line) or re_jport.search(line) or re_uport.search(line)
                if m:
                    rec["dport"] = int(m.group(1))
                m = re_ts.search(line)
                if m:
                    dt = datetime.datetime.strptime(m.group(1).decode(), "%Y-%m-%dT%H:%M:%S")
                    sec = int(dt.replace(tzinfo=datetime.timezone.utc).timestamp())
                    rec["ts"] = sec * 1_000_000_000 + int(m.group(2)) * 1000
                o.write(json.dumps(rec) + "\n")
    return 0


# ------------------------------------------------------------ main


def build_source_dir(build, default):
    """The source tree build was configured from (its CMakeCache.txt), else
    default."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return default


def quiet_out(cmd):
    """cmd's output, stripped; "" when it cannot run."""
    try:
        return run(cmd, check=False).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_meta(nflogd, source_dir, rev):
    """What a results file says about the machine and the nflogd measured
    (rev: the revision given on the command line, else git describe)."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    osrel = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osrel = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    ver = quiet_out([nflogd, "--version"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": os.uname().release,
        "os": osrel,
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "mem_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20),
        "nflogd_version": ver.splitlines()[0] if ver else "",
        "nflogd_git": rev or quiet_out(["git", "-C", source_dir, "describe", "--always",
                                        "--dirty"]) or "unknown",
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


def version_meta(b):
    return {
        **machine_meta(b.nflogd, b.source_dir(), b.args.nflogd_rev),
        "ulogd_version": "ulogd2 " + quiet_out(["dpkg-query", "-W", "-f", "${Version}", "ulogd2"]),
        "systemd_version": quiet_out(["dpkg-query", "-W", "-f", "${Version}", "systemd"]),
        "gcc": quiet_out(["gcc", "-dumpfullversion"]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="one short run per logger at one rate, short latency run (CI smoke)")
    ap.add_argument("--out", help="results JSON (default docs/bench-results.json; "
                    "--quick: only printed)")
    ap.add_argument("--md", help="markdown tables (default: --out with .md)")
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--nflogd-rev", help="the nflogd revision, for the results (default: "
                    "git describe of the build's source tree)")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--duration", type=float, help="seconds of traffic per run")
    ap.add_argument("--points", help="comma list of " + ",".join(POINTS))
    ap.add_argument("--loggers", help="comma list of " + ",".join(LOGGERS))
    ap.add_argument("--no-klog", action="store_true", help="skip the kernel-LOG runs")
    ap.add_argument("--retries", type=int, help="runs again when other processes used more "
                    "than --max-other-cpu during the traffic (default 2; --quick 0)")
    ap.add_argument("--max-other-cpu", type=float, default=0.2,
                    help="CPU-seconds (default 0.2)")
    ap.add_argument("--null-files", action="store_true",
                    help="nflogd's file outputs write to /dev/null (written: its own counter): "
                    "the cost without the page cache; a diagnosis, not a comparison")
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--latency-count", type=int)
    ap.add_argument("--profile", metavar="DIR", help="also perf-record nflogd under the unpaced load")
    ap.add_argument("--callgrind", metavar="DIR", help="also count each logger's user-space "
                    "instructions per record with valgrind's callgrind (deterministic)")
    ap.add_argument("--keep", metavar="DIR", help="copy configurations, logs, record samples "
                    "and perf data to DIR")
    ap.add_argument("--report", metavar="FILE", help="print the tables of a results file")
    ap.add_argument("--tail", nargs=4, metavar=("FILE", "N", "OUT", "TIMEOUT"), help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.tail:
        return tail_main(a.tail[0], int(a.tail[1]), a.tail[2], float(a.tail[3]))
    if a.report:
        with open(a.report) as f:
            print(markdown(json.load(f)))
        return 0
    if not os.environ.get("NFLOGD_BENCH_ISOLATED"):
        raise SystemExit("run it through bench/run.sh")

    reps = a.reps if a.reps is not None else (1 if a.quick else 3)
    if a.retries is None:
        a.retries = 0 if a.quick else 2
    duration = a.duration or (1.5 if a.quick else 4.0)
    points = a.points.split(",") if a.points else (["p100k"] if a.quick else list(POINTS))
    loggers = a.loggers.split(",") if a.loggers else list(LOGGERS)
    if a.no_klog and "klog-journal" in loggers:
        loggers.remove("klog-journal")
    for p in points:
        if p not in POINTS:
            raise SystemExit(f"unknown point {p}")
    for x in loggers:
        if x not in LOGGERS:
            raise SystemExit(f"unknown logger {x}")
    if any(LOGGERS[x][0] == "ulogd" for x in loggers) and not os.access(ULOGD, os.X_OK):
        raise SystemExit("ulogd2 is not installed: apt-get install ulogd2 ulogd2-json")
    if any(LOGGERS[x][2] == "journal" or LOGGERS[x][1] == "journal" for x in loggers) and \
            not os.access(JOURNALD, os.X_OK):
        raise SystemExit(f"missing {JOURNALD}")
    if a.null_files and (not a.no_latency or a.callgrind):
        raise SystemExit("--null-files needs --no-latency and no --callgrind: "
                         "they read the files")
    out = a.out
    if not out and not a.quick and reps > 0:
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                           "bench-results.json")
    md = a.md or (re.sub(r"\.json$", "", out) + ".md" if out else None)

    b = Bench(a)
    started = time.monotonic()

    def on_term(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    results = {"meta": {}, "runs": [], "latency": []}
    try:
        b.setup()
        meta = version_meta(b)
        meta.update(reps=reps, duration=duration, points=points, loggers=loggers,
                    retries=a.retries, max_other_cpu=a.max_other_cpu,
                    quick=a.quick, group_defaults=b.get_group_defaults(),
                    nflog_rule=f'counter log group {GROUP} snaplen 128 prefix "{PREFIX}" (K times), drop')
        results["meta"] = meta
        log(f"machine: {meta['cpu']}, {meta['cpus']} CPUs, kernel {meta['kernel']}; "
            f"nflogd {meta['nflogd_git']}")

        # What one sender core does, unpaced, with nothing to log and with
        # a log rule nobody listens to (the runs add the listener's case).
        cal = {}
        for what, kind in (("no log rule", "none"), ("log rule, group not bound", "nflog")):
            b.nft_rules(kind, 1)
            r = b.send(0, seconds=min(duration, 3))
            cal[what] = round(r["rate"])
        meta["sender_calibration"] = cal
        log(f"sender calibration: {cal}")
        meta["pagecache_write_start"] = b.pagecache_write()
        log(f"page cache: {meta['pagecache_write_start']}")

        if "klog-journal" in loggers:
            others = b.other_kmsg_readers()
            if others:
                log(f"waiting (60 s at most) for other /dev/kmsg readers to finish: pids {others}")
                wait_for(lambda: not b.other_kmsg_readers(), 60, 1)
                others = b.other_kmsg_readers()
            if others:
                log(f"skipping the kernel-LOG runs: /dev/kmsg is read by pids {others} "
                    "(the flood would overrun them)")
                loggers.remove("klog-journal")
                meta["klog_skipped"] = f"other /dev/kmsg readers: {others}"
            else:
                meta["nf_log_all_netns_was"] = run(
                    ["sysctl", "-n", "net.netfilter.nf_log_all_netns"]).strip()

        total = reps * len(points) * len(loggers)
        i = 0
        for rep in range(1, reps + 1):
            for point in points:
                # Rotate the loggers' order from rep to rep: machine noise
                # then falls on all of them alike.
                k = (rep - 1) % len(loggers)
                for name in loggers[k:] + loggers[:k]:
                    i += 1
                    if name == "klog-journal" and not b.klog_ready():
                        results.setdefault("failures", []).append(
                            {"logger": name, "point": point, "rep": rep,
                             "error": "skipped: another process reads /dev/kmsg"})
                        continue
                    try:
                        r = b.run_point(name, point, rep, duration)
                        # Other jobs on the machine during the traffic: run
                        # again (twice at most), keep the quietest.
                        tries = 1
                        while (r.get("other_cpu_s") or 0) > a.max_other_cpu and tries <= a.retries:
                            log(f"  {name} {point} rep {rep}: other processes used "
                                f"{r['other_cpu_s']:.2f} CPU-s during the traffic; again")
                            r2 = b.run_point(name, point, rep, duration)
                            tries += 1
                            if (r2.get("other_cpu_s") or 0) < r["other_cpu_s"]:
                                r = r2
                        r["attempts"] = tries
                    except Exception as e:  # noqa: BLE001 - one failed run is reported, not fatal
                        log(f"run {name} {point} rep {rep} FAILED: {e}")
                        for p in getattr(b, "_live", []):
                            stop_proc(p, 10)
                        b.journald_stop()
                        results.setdefault("failures", []).append(
                            {"logger": name, "point": point, "rep": rep, "error": str(e)})
                        continue
                    results["runs"].append(r)
                    extra = ""
                    if r["kind"] == "nflogd":
                        extra = (f" lost {r['nflogd']['lost']} dropped {r['nflogd']['dropped']}"
                                 f" failed {r['nflogd']['failed']} agree {r['nflogd']['agree']}")
                    log(f"[{i}/{total}] {point:8s} {name:17s} rep {rep}: sent {r['sent']} "
                        f"({r['send_rate']:.0f}/s) logged {r['logged']} written {r['written']} "
                        f"loss {r['loss_pct']}% cpu/rec {r.get('cpu_us_per_record')} us "
                        f"rss {r.get('peak_rss_kb')} kB{extra}")
        b.restore_logall()

        if not a.no_latency:
            lat_loggers = ["nflogd-json"] if a.quick else [x for x in LATENCY_LOGGERS if x in loggers]
            count = a.latency_count or (1000 if a.quick else 5000)
            for name in lat_loggers:
                r = b.latency(name, 1000, count)
                results["latency"].append(r)
                log(f"latency {name}: {r.get('from_send_ms')} kernel-ts {r.get('from_kernel_ts_ms')}")

        if a.profile:
            b.profile(a.profile, duration)
        if a.callgrind:
            b.callgrind(a.callgrind, [x for x in CALLGRIND_LOGGERS
                                      if not a.loggers or x in loggers], results["meta"])
        results["meta"]["pagecache_write_end"] = b.pagecache_write()
        log(f"page cache: {results['meta']['pagecache_write_end']}")
    except KeyboardInterrupt:
        log("interrupted")
        results.setdefault("failures", []).append({"error": "interrupted"})
    finally:
        b.cleanup()

    results["meta"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    results["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    results["summary"] = summarize(results["runs"])
    results["ratios"] = ratios(results["summary"])
    text = markdown(results)
    print(text)
    if out:
        with open(out, "w") as f:
            dump_results(results, f)
        log(f"results: {out}")
    if md:
        with open(md, "w") as f:
            f.write(text + "\n")
        log(f"tables: {md}")
    log(f"wall time {results['meta']['wall_seconds']} s")
    return 1 if results.get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
