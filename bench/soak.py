#!/usr/bin/python3
"""soak.py: the orchestrator of bench/soak.sh (standard library only).

A long run of the real daemon under steady traffic, with reloads and
logrotate rotations, watching for what grows: memory (VmRSS), open file
descriptors, CPU per record, and checking that every packet the kernel
logged is accounted for, exactly, per output.  Run it through
bench/soak.sh, which builds nflogd and the sender and puts this script in
a private mount and PID namespace (everything it starts dies with it).
bench/README.md, "soak.sh", describes the method.

Topology (network namespaces of its own, nothing else crosses the link):

    netns nflogd-soak-s                      netns nflogd-soak-r
    sender (CPU 0) -- vs 10.97.0.1 === veth === vr 10.97.0.2 -- nft input:
        ip saddr 10.97.0.1 udp sport 40000 counter log group 7 snaplen 128
           prefix "soak: " drop
                                             nflogd (CPU 1): one rule, two
                                             file outputs (JSON, LOG text)
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The generic helpers of the throughput benchmark.
from bench import (CLK_TCK, build_source_dir, fmt_num, host_other_ticks,  # noqa: E402
                   in_ns, log, machine_meta, proc_status, proc_ticks,
                   quiet_out, run, stop_proc, veth_pair, wait_for)

GROUP = 7
NS_S = "nflogd-soak-s"
NS_R = "nflogd-soak-r"
SRC_IP, DST_IP = "10.97.0.1", "10.97.0.2"
MAC_S, MAC_R = "02:00:00:00:97:01", "02:00:00:00:97:02"
SPORT = 40000
PREFIX = "soak: "
TABLE = "soak"
RULE_COMMENT = "soak-log"
# output name -> (format, file name)
OUTPUTS = {"json": ("json", "soak.json"), "text": ("log", "soak.log")}
ROTATE_KEEP = 3


def in_r(*cmd):
    return in_ns(NS_R, *cmd)


def in_s(*cmd):
    return in_ns(NS_S, *cmd)


class Failed(Exception):
    """A step of the soak failed: the run stops and exits 1."""


# ------------------------------------------------------------ file checker


def verify_main(path, fmt, prefix, truncate):
    """Count the lines of one output file and check each: a JSON line must
    parse (json.loads) to an object, every line must end with a newline;
    LOG lines without the prefix are counted (`noprefix`: only flood
    summary lines may lack it).  Prints one JSON object.  With
    `truncate`, empties the file afterwards (a rotated generation, already
    closed by nflogd: keeps the tmpfs small)."""
    lines = bad = partial = noprefix = nbytes = 0
    first_bad = first_noprefix = None
    pb = prefix.encode()
    loads = json.loads
    with open(path, "rb") as f:
        for line in f:
            lines += 1
            nbytes += len(line)
            if not line.endswith(b"\n"):
                partial += 1
                first_bad = first_bad or line[:200].decode(errors="replace")
                continue
            ok = True
            if fmt == "json":
                try:
                    ok = isinstance(loads(line), dict)
                except ValueError:
                    ok = False
            elif pb not in line:
                noprefix += 1
                first_noprefix = first_noprefix or line[:200].decode(errors="replace")
            if not ok:
                bad += 1
                first_bad = first_bad or line[:200].decode(errors="replace")
    if truncate:
        os.truncate(path, 0)
    print(json.dumps({"path": path, "lines": lines, "bad": bad, "partial": partial,
                      "noprefix": noprefix, "bytes": nbytes, "first_bad": first_bad,
                      "first_noprefix": first_noprefix}))
    return 0


# ------------------------------------------------------------ statistics


def slope(points):
    """Least-squares slope of [(x, y)]; None with fewer than 2 points."""
    pts = [(x, y) for x, y in points if x is not None and y is not None]
    n = len(pts)
    if n < 2:
        return None
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


# ------------------------------------------------------------ the soak


class Soak:
    def __init__(self, args):
        self.args = args
        self.build = os.path.realpath(args.build)
        self.repo = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
        self.nflogd = os.path.join(self.build, "nflogd")
        self.sender = os.path.join(self.build, "bench", "sender")
        self.tmp = None
        self.mounted = []
        self.netns = []
        self.nflogd_proc = None
        self.sender_proc = None
        self.verifiers = []      # [(Popen, output, generation, stdout file)]
        self.verified = []       # results of verify_main
        self.failures = []
        self.samples = []
        self.actions = {"reloads": [], "rotations": []}
        self.t0 = None
        self.pidns = os.readlink("/proc/self/ns/pid")

    def fail(self, msg):
        log("FAILED: " + msg)
        self.failures.append(msg)

    def source_dir(self):
        return build_source_dir(self.build, self.repo)

    # -------------------------------------------------- set-up / clean-up

    def setup(self):
        for b in (self.nflogd, self.sender):
            if not os.access(b, os.X_OK):
                raise Failed(f"missing {b}: build it (bench/soak.sh does)")
        for t in ("ip", "nft", "taskset", "logrotate", "nice"):
            if not shutil.which(t):
                raise Failed(f"missing tool: {t}")
        if os.cpu_count() < 2:
            raise Failed("needs 2 CPUs (sender on CPU 0, nflogd on CPU 1)")
        # soak.sh made the directory (and removes it, empty, at the end);
        # the tmpfs on it belongs to our private mount namespace.
        self.tmp = os.environ.get("NFLOGD_SOAK_TMP") or f"/tmp/nflogd-soak.{os.urandom(3).hex()}"
        os.makedirs(self.tmp, mode=0o700, exist_ok=True)
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        size_mb = int(mem * 0.8) >> 20
        run(["mount", "-t", "tmpfs", "-o", f"mode=0700,size={size_mb}m", "soak-tmp", self.tmp])
        self.mounted.append(self.tmp)
        os.makedirs("/run/netns", exist_ok=True)
        run(["mount", "-t", "tmpfs", "-o", "mode=0755", "soak-netns", "/run/netns"])
        self.mounted.append("/run/netns")
        for d in ("out", "run", "state", "conf", "logs", "verify"):
            os.makedirs(os.path.join(self.tmp, d))
        # What the files need: JSON ~1,060 and LOG ~220 bytes per record;
        # the current files grow for a rotation period, a rotated
        # generation lives until it is checked (then it is emptied, unless
        # --keep-files).
        a = self.args
        period = a.rotate_every if a.rotate_every else a.duration
        gens = (ROTATE_KEEP + 1) if a.keep_files else 2
        need_mb = a.rate * 1300 * min(a.duration, period * gens) / (1 << 20)
        log(f"tmpfs {self.tmp}: {size_mb} MiB; the output files need about {need_mb:,.0f} MiB")
        if need_mb > size_mb:
            log("WARNING: the files will not fit: writes will fail (counted as failed)")
        self.netns_setup()
        self.nft_rules()

    def cleanup(self):
        for p in (self.sender_proc, self.nflogd_proc):
            stop_proc(p, 20)
        for p, *_ in self.verifiers:
            stop_proc(p, 5)
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.netns = []
        if self.tmp and self.args.keep:
            for d in ("conf", "logs", "run"):
                shutil.copytree(os.path.join(self.tmp, d), os.path.join(self.args.keep, d),
                                dirs_exist_ok=True)
            log(f"configuration, logrotate files and nflogd's log copied to {self.args.keep}")
        for m in reversed(self.mounted):
            subprocess.run(["umount", "-l", m], capture_output=True)
        self.mounted = []
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def netns_setup(self):
        try:
            veth_pair(NS_S, NS_R, SRC_IP, DST_IP, MAC_S, MAC_R, self.netns)
        except RuntimeError as e:
            raise Failed(str(e)) from e

    # -------------------------------------------------- nft

    def nft_rules(self):
        text = f"""table inet {TABLE} {{
\tchain input {{
\t\ttype filter hook input priority 0; policy accept;
\t\tip saddr {SRC_IP} udp sport {SPORT} counter log group {GROUP} snaplen 128 prefix "{PREFIX}" drop comment "{RULE_COMMENT}"
\t}}
}}
"""
        run(in_r("nft", "-f", "-"), input=text)

    def nft_logged(self):
        """Packets the kernel logged: the rule's counter (it sits before the
        log statement)."""
        j = json.loads(run(in_r("nft", "-j", "list", "table", "inet", TABLE)))
        for item in j["nftables"]:
            rule = item.get("rule")
            if rule and rule.get("comment") == RULE_COMMENT:
                return sum(e["counter"]["packets"] for e in rule.get("expr", [])
                           if isinstance(e, dict) and "counter" in e)
        raise Failed("the nft rule is gone")

    # -------------------------------------------------- nflogd

    def out_path(self, name):
        return os.path.join(self.tmp, "out", OUTPUTS[name][1])

    def write_conf(self):
        self.rt = os.path.join(self.tmp, "run")
        st = os.path.join(self.tmp, "state")
        outs = ",\n".join(
            f'\t{{ name = "{n}"; type = "file"; path = "{self.out_path(n)}"; format = "{fmt}"; }}'
            for n, (fmt, _) in OUTPUTS.items())
        names = ", ".join(f'"{n}"' for n in OUTPUTS)
        # nflogd's defaults everywhere (group settings, queue sizes, line
        # style, no size rotation) except where its files go, no rule
        # installation (the harness's nft rule logs), the outputs and the
        # rule.
        conf = f"""# generated by bench/soak.py
runtime_dir = "{self.rt}";
state_dir = "{st}";
firewall = {{ backend = "none"; }};
outputs = (
{outs}
);
rules = ( {{ name = "soak"; group = {GROUP}; prefix = "{PREFIX}"; action = "drop";
            outputs = [ {names} ]; }} );
"""
        self.conf = os.path.join(self.tmp, "conf", "nflogd.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.status_path = os.path.join(self.rt, "status.json")
        # logrotate: the real one, `create` + postrotate SIGUSR1 (the
        # shipped file's non-systemd branch: the pid from status.json).
        self.lr_conf = os.path.join(self.tmp, "conf", "logrotate.conf")
        self.lr_state = os.path.join(self.tmp, "conf", "logrotate.state")
        paths = " ".join(self.out_path(n) for n in OUTPUTS)
        with open(self.lr_conf, "w") as f:
            f.write(f"""# generated by bench/soak.py
{paths} {{
	rotate {ROTATE_KEEP}
	missingok
	nocompress
	create 0640 root root
	sharedscripts
	postrotate
		pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' {self.status_path})
		[ -n "$pid" ] && kill -USR1 "$pid"
	endscript
}}
""")
        os.chmod(self.lr_conf, 0o644)

    def start_nflogd(self):
        self.write_conf()
        run([self.nflogd, "--check-config", "-c", self.conf])
        self.nflogd_log = os.path.join(self.tmp, "logs", "nflogd.stderr")
        errf = open(self.nflogd_log, "a")
        p = subprocess.Popen(["taskset", "-c", "1", *in_r(
            self.nflogd, "-c", self.conf, "--log-target", "stderr")],
            stdout=errf, stderr=errf)
        self.nflogd_proc = p
        self.pid = p.pid

        def ready():
            if p.poll() is not None:
                return True
            st = self.status()
            return st is not None and st.get("pid") == p.pid
        if not wait_for(ready, 15) or p.poll() is not None:
            raise Failed(f"nflogd did not start: {self.log_tail()}")

    def read_nflogd_log(self):
        """What nflogd said: reloads and reopens counted, anything else
        (warnings, errors) kept for the report."""
        known = ("configuration reloaded", "reopening output files", "firewall backend none",
                 "started:", "final counters", "stopped", "counters:")
        res = {"reloads": 0, "reopens": 0, "other": []}
        try:
            with open(self.nflogd_log, errors="replace") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if "configuration reloaded" in line:
                        res["reloads"] += 1
                    elif "reopening output files" in line:
                        res["reopens"] += 1
                    elif not any(k in line for k in known):
                        res["other"].append(line[:300])
        except OSError:
            pass
        res["other_count"] = len(res["other"])
        res["other"] = res["other"][:20]
        self.nflogd_said = res

    def log_tail(self, n=5):
        try:
            with open(self.nflogd_log) as f:
                return " | ".join(f.read().splitlines()[-n:])
        except OSError:
            return ""

    def status(self):
        try:
            with open(self.status_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def parent_gone(self):
        """soak.sh (outside our PID namespace; its pid in the host's /proc,
        fd 9) died without passing on a signal: SIGKILL."""
        ppid = os.environ.get("NFLOGD_SOAK_PARENT")
        host = "/proc/self/fd/9"
        return bool(ppid) and os.path.isdir(host) and not os.path.exists(f"{host}/{ppid}")

    def alive(self):
        return self.nflogd_proc is not None and self.nflogd_proc.poll() is None

    def fd_targets(self):
        out = []
        try:
            for fd in os.listdir(f"/proc/{self.pid}/fd"):
                try:
                    out.append(os.readlink(f"/proc/{self.pid}/fd/{fd}"))
                except OSError:
                    pass
        except OSError:
            pass
        return out

    # -------------------------------------------------- samples

    def fresh_status(self, timeout=2.5):
        """nflogd rewrites status.json once a second: wait for the next
        write and read it, so that its counters are those of this moment
        (to within the 5 ms poll), like the /proc figures read next."""
        def mtime():
            try:
                return os.stat(self.status_path).st_mtime_ns
            except OSError:
                return None
        m0 = mtime()
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.alive():
            m = mtime()
            if m is not None and m != m0:
                break
            time.sleep(0.005)
        return self.status()

    def sample(self, label, t_sched):
        t_start = time.monotonic()
        st = (self.fresh_status() if self.alive() else self.status()) or {}
        t_now = time.monotonic()
        pid = self.pid
        try:
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            fds = None
        g = (st.get("groups") or [{}])[0]
        outs = {}
        for r in st.get("rules", []):
            for o in r.get("outputs", []):
                outs[o["name"]] = {k: o.get(k, 0) for k in
                                   ("queued", "written", "dropped", "failed", "pending")}
                outs[o["name"]]["suppressed"] = (o.get("suppressed", 0) + r.get("suppressed", 0)
                                                 + g.get("suppressed", 0))
        s = {"label": label, "t_sched": t_sched,
             "t": round(t_now - self.t0, 3) if self.t0 else 0.0,
             "rss_kb": proc_status(pid, "VmRSS"), "hwm_kb": proc_status(pid, "VmHWM"),
             "fds": fds, "threads": proc_status(pid, "Threads"),
             "cpu_ticks": proc_ticks(pid), "nft_logged": self.nft_logged(),
             "other_ticks": self.other_ticks(),
             "status_wait_s": round(t_now - t_start, 3),
             "status_age_s": round(time.time() - st["updated"], 1) if "updated" in st else None,
             "reloads": st.get("reloads"),
             "group": {k: g.get(k, 0) for k in ("kernel_logged", "received", "lost", "malformed",
                                                "overruns", "uncounted")},
             "outputs": outs}
        s["sample_s"] = round(time.monotonic() - t_start, 3)
        logged = s["nft_logged"]
        self.samples.append(s)
        loss = " ".join(f"{n} {self.loss_of(s, n)}" for n in OUTPUTS)
        log(f"t={s['t']:6.1f}s  rss {fmt_num(s['rss_kb'])} kB  fds {s['fds']}  threads {s['threads']}  "
            f"cpu {fmt_num((s['cpu_ticks'] or 0) / CLK_TCK, 2)} s  logged {logged:,}  "
            + "  ".join(f"{n} written {outs.get(n, {}).get('written', 0):,}" for n in OUTPUTS)
            + f"  loss: {loss}")
        return s

    @staticmethod
    def loss_of(s, name):
        """Cumulative loss nflogd counted for an output at a sample."""
        o = s["outputs"].get(name, {})
        g = s["group"]
        return (g.get("lost", 0) + g.get("malformed", 0) + o.get("dropped", 0)
                + o.get("failed", 0) + o.get("suppressed", 0))

    def other_ticks(self):
        """CPU ticks of user-space processes outside our PID namespace:
        the rest of the machine's load, for the noise."""
        return host_other_ticks(self.pidns)

    # -------------------------------------------------- actions

    def reload(self, t_sched):
        st = self.status() or {}
        before = st.get("reloads", 0)
        t = time.monotonic()
        os.kill(self.pid, signal.SIGHUP)
        got = {}

        def counted():
            s = self.status()
            if s and s.get("reloads", 0) > before:
                got["st"] = s
                return True
            return False
        ok = wait_for(counted, 15, 0.02)
        rec = {"t_sched": t_sched, "seconds": round(time.monotonic() - t, 3)}
        if not ok:
            rec["ok"] = False
            self.fail(f"reload at {t_sched} s: the status file did not count it within 15 s")
        else:
            lr = got["st"].get("last_reload") or {}
            rec["ok"] = bool(lr.get("ok"))
            if not rec["ok"]:
                self.fail(f"reload at {t_sched} s refused: {lr.get('error')}")
        self.actions["reloads"].append(rec)
        log(f"reload at {t_sched} s: {'ok' if rec['ok'] else 'FAILED'} ({rec['seconds']} s)")

    def reopened(self):
        tg = self.fd_targets()
        for n in OUTPUTS:
            p = self.out_path(n)
            if p not in tg or any(x.startswith(p + ".") for x in tg):
                return False
        return True

    def rotate(self, t_sched, idx):
        t = time.monotonic()
        r = subprocess.run(["logrotate", "-f", "-s", self.lr_state, self.lr_conf],
                           capture_output=True, text=True, timeout=120)
        rec = {"t_sched": t_sched, "logrotate_seconds": round(time.monotonic() - t, 3),
               "ok": True}
        if r.returncode != 0:
            rec["ok"] = False
            self.fail(f"logrotate at {t_sched} s: exit {r.returncode}: {r.stderr.strip()[:500]}")
        # nflogd holds the new files and none of the rotated ones: SIGUSR1
        # reached it and the reopen is done, so PATH.1 is final.
        if not wait_for(self.reopened, 15, 0.01):
            rec["ok"] = False
            self.fail(f"rotation at {t_sched} s: nflogd still holds a rotated file 15 s later: "
                      f"{[x for x in self.fd_targets() if '/out/' in x]}")
        rec["reopen_seconds"] = round(time.monotonic() - t, 3)
        for n in OUTPUTS:
            gen = self.out_path(n) + ".1"
            link = os.path.join(self.tmp, "verify", f"{OUTPUTS[n][1]}.gen{idx}")
            try:
                os.link(gen, link)
            except OSError as e:
                rec["ok"] = False
                self.fail(f"rotation at {t_sched} s: {gen}: {e}")
                continue
            # A hard link: the generation stays readable whatever logrotate
            # renames or deletes later; emptied once checked.
            self.start_verifier(n, f"gen{idx}", link, truncate=not self.args.keep_files,
                                nice=10)
        self.actions["rotations"].append(rec)
        log(f"rotation at {t_sched} s: {'ok' if rec['ok'] else 'FAILED'} "
            f"(logrotate {rec['logrotate_seconds']} s, reopened after {rec['reopen_seconds']} s)")

    def start_verifier(self, name, gen, path, truncate, nice):
        outf = open(os.path.join(self.tmp, "logs", f"verify-{name}-{gen}.json"), "w+")
        cmd = ["nice", "-n", str(nice), sys.executable, os.path.abspath(__file__),
               "--verify", path, OUTPUTS[name][0], PREFIX]
        if truncate:
            cmd.append("--truncate")
        p = subprocess.Popen(cmd, stdout=outf, stderr=subprocess.STDOUT)
        self.verifiers.append((p, name, gen, outf, path, time.monotonic()))

    def collect_verifiers(self, wait=False):
        left = []
        for v in self.verifiers:
            p, name, gen, outf, path, t = v
            if p.poll() is None and not wait:
                left.append(v)
                continue
            p.wait()
            outf.seek(0)
            text = outf.read()
            outf.close()
            try:
                res = json.loads(text.strip().splitlines()[-1])
            except (ValueError, IndexError):
                self.fail(f"checking {path} failed: {text.strip()[-500:]}")
                continue
            res.update(output=name, generation=gen, seconds=round(time.monotonic() - t, 1))
            if path.startswith(os.path.join(self.tmp, "verify")):
                try:
                    os.unlink(path)
                except OSError:
                    pass
            self.verified.append(res)
        self.verifiers = left

    # -------------------------------------------------- the run

    def drain(self, timeout=60):
        """After the traffic: until nflogd received (or counted as lost)
        every packet the kernel logged and its queues are empty, or nothing
        changes for 3 s.  Returns the seconds waited."""
        t = time.monotonic()
        logged = self.nft_logged()
        last, calm = None, 0.0
        while time.monotonic() - t < timeout:
            st = self.status() or {}
            g = (st.get("groups") or [{}])[0]
            outs = [o for r in st.get("rules", []) for o in r.get("outputs", [])]
            pending = sum(o.get("pending", 0) for o in outs)
            done = g.get("received", 0) + g.get("lost", 0) + g.get("malformed", 0)
            if done == logged and pending == 0 and outs:
                break
            key = (done, pending, tuple(o.get("written", 0) for o in outs))
            calm = calm + 0.2 if key == last else 0.0
            if calm >= 3.0 and pending == 0:
                break
            last = key
            time.sleep(0.2)
        return round(time.monotonic() - t, 2)

    def soak(self):
        a = self.args
        self.start_nflogd()
        log(f"nflogd pid {self.pid} on CPU 1; {a.rate:,} packets/s for {a.duration} s; "
            f"reload every {a.reload_every or '–'} s, rotation every {a.rotate_every or '–'} s, "
            f"sample every {a.sample_every} s")
        # The timeline: samples first, then a rotation, then a reload, when
        # they fall on the same second; none at the end of the traffic.
        events = []
        for every, kind, prio in ((a.sample_every, "sample", 0), (a.rotate_every, "rotate", 1),
                                  (a.reload_every, "reload", 2)):
            if every and every > 0:
                k = 1
                while k * every < a.duration - 1e-9:
                    events.append((round(k * every, 3), prio, kind))
                    k += 1
        events.sort()
        self.sample("start", 0)
        self.t0 = time.monotonic()          # the traffic's start
        self.other0 = self.samples[-1]["other_ticks"]
        send_out = os.path.join(self.tmp, "logs", "sender.out")
        self.sender_proc = subprocess.Popen(
            ["taskset", "-c", "0", *in_s(self.sender, "-d", DST_IP, "-S", str(SPORT),
                                         "-r", str(a.rate), "-b", "64", "-t", str(a.duration))],
            stdout=open(send_out, "w"), stderr=subprocess.STDOUT)
        nrot = 0
        for t_ev, _, kind in events:
            while time.monotonic() - self.t0 < t_ev:
                time.sleep(min(0.2, max(0.0, t_ev - (time.monotonic() - self.t0))))
                self.collect_verifiers()
                if self.parent_gone():
                    raise Failed("soak.sh is gone (killed): stopping")
            if not self.alive():
                raise Failed(f"nflogd exited (status {self.nflogd_proc.returncode}) at "
                             f"{time.monotonic() - self.t0:.1f} s: {self.log_tail()}")
            if self.sender_proc.poll() is not None:
                if time.monotonic() - self.t0 < a.duration - 1:
                    raise Failed(f"the sender ended early (exit {self.sender_proc.returncode}): "
                                 f"{open(send_out).read().strip()[-300:]}")
                break               # the steps ran late: the traffic is over
            if kind == "sample":
                self.sample("traffic", t_ev)
            elif kind == "rotate":
                nrot += 1
                self.rotate(t_ev, nrot)
            else:
                self.reload(t_ev)
        # The end of the traffic.
        try:
            self.sender_proc.wait(a.duration + 60)
        except subprocess.TimeoutExpired:
            raise Failed("the sender did not stop")
        self.t_send_end = time.monotonic() - self.t0
        with open(send_out) as f:
            out = f.read().strip()
        if self.sender_proc.returncode != 0:
            raise Failed(f"the sender failed (exit {self.sender_proc.returncode}): {out[-300:]}")
        self.sent = json.loads(out.splitlines()[-1])
        self.sender_proc = None
        if not self.alive():
            raise Failed(f"nflogd exited (status {self.nflogd_proc.returncode}): {self.log_tail()}")
        self.sample("end of traffic", a.duration)
        self.drain_s = self.drain()
        self.sample("drained", None)
        log(f"sender: {self.sent['sent']:,} packets at {self.sent['rate']:,.0f}/s; "
            f"drained in {self.drain_s} s")

        # Stop nflogd; its last status file is the final word.
        rc = stop_proc(self.nflogd_proc, 60)
        self.exit_code = rc
        if rc != 0:
            self.fail(f"nflogd exited with {rc} at SIGTERM: {self.log_tail()}")
        final = self.status()
        if not final or final.get("pid") != self.pid or final.get("running"):
            self.fail("no final status file from nflogd (it did not write one as it stopped)")
        self.final = final
        self.read_nflogd_log()
        # The current files, then every check's result.
        for n in OUTPUTS:
            p = self.out_path(n)
            if os.path.exists(p):
                self.start_verifier(n, "current", p, truncate=False, nice=0)
            else:
                self.fail(f"{p} does not exist at the end")
        self.collect_verifiers(wait=True)

    # -------------------------------------------------- results

    def accounting(self):
        """Per output: kernel-logged (the nft rule counter) = written + lost
        (sequence gaps) + dropped (queue full) + failed + pending +
        malformed (+ suppressed, when the status has it); and the lines in
        the files (every rotated generation + the current file) = written."""
        st = getattr(self, "final", None) or {}
        logged = self.nft_logged() if self.netns else None
        g = (st.get("groups") or [{}])[0]
        rows = []
        for name in OUTPUTS:
            o, rule = {}, {}
            for r in st.get("rules", []):
                for x in r.get("outputs", []):
                    if x.get("name") == name:
                        o, rule = x, r
            terms = {"written": o.get("written"), "lost": g.get("lost"),
                     "dropped": o.get("dropped"), "failed": o.get("failed"),
                     "pending": o.get("pending"), "malformed": g.get("malformed"),
                     "suppressed": (o.get("suppressed", 0) + rule.get("suppressed", 0)
                                    + g.get("suppressed", 0))}
            have = all(v is not None for v in terms.values()) and logged is not None
            total = sum(terms.values()) if have else None
            # Flood summaries (rules with record_limit) are lines of their
            # own, counted apart from `written`.
            summ = next(((x.get("summaries") or {}).get("written", 0)
                         for x in st.get("outputs", []) if x.get("name") == name), 0)
            vs = [v for v in self.verified if v["output"] == name]
            lines = sum(v["lines"] for v in vs)
            bad = (sum(v["bad"] + v["partial"] for v in vs)
                   + max(0, sum(v.get("noprefix", 0) for v in vs) - summ))
            row = {"output": name, "format": OUTPUTS[name][0], "kernel_logged": logged,
                   "group_kernel_logged": g.get("kernel_logged"), "received": g.get("received"),
                   **terms, "sum": total, "uncounted": bool(g.get("uncounted")),
                   "identity": have and total == logged,
                   "summaries_written": summ, "files": len(vs), "lines": lines, "bad_lines": bad,
                   "lines_equal_written": have and lines == terms["written"] + summ,
                   "bytes": sum(v["bytes"] for v in vs)}
            rows.append(row)
            if not row["identity"]:
                self.fail(f"{name}: kernel-logged {logged} != written + lost + dropped + failed + "
                          f"pending + malformed + suppressed = {total} ({terms})"
                          + ("; nflogd says the tail is uncounted" if row["uncounted"] else ""))
            if not row["lines_equal_written"]:
                self.fail(f"{name}: {lines} lines in {len(vs)} files, nflogd wrote {terms['written']}"
                          + (f" + {summ} flood summaries" if summ else ""))
            if bad:
                first = next((v["first_bad"] or v.get("first_noprefix") for v in vs
                              if v["first_bad"] or v.get("first_noprefix")), "")
                self.fail(f"{name}: {bad} bad or partial lines, first: {first!r}")
        if st and logged is not None:
            gl = g.get("kernel_logged")
            if gl is not None and gl != logged:
                self.fail(f"group {GROUP}: nflogd's kernel_logged (sequence numbers) {gl} != "
                          f"the nft counter {logged}")
        return rows

    def minutes(self):
        """Rows per minute of traffic (the last one may be shorter)."""
        tr = [s for s in self.samples if s["t_sched"] is not None]
        marks = [s for s in tr if s["t_sched"] == 0 or s["t_sched"] % 60 == 0
                 or s["label"] == "end of traffic"]
        if tr[-1] is not marks[-1]:
            marks.append(tr[-1])         # a run that stopped early
        rows = []
        for a, b in zip(marks, marks[1:]):
            rows.append(self.window(a, b, f"{round(a['t_sched'] / 60, 2):g}–"
                                          f"{round(b['t_sched'] / 60, 2):g}"))
        return rows

    def window(self, a, b, label):
        # Rates over the traffic: the end-of-traffic sample comes up to a
        # second after the sender stopped.
        t1 = b["t"]
        if b["label"] == "end of traffic" and getattr(self, "t_send_end", None):
            t1 = min(t1, self.t_send_end)
        dt = t1 - a["t"]
        rec = b["group"]["received"] - a["group"]["received"]
        cpu_s = ((b["cpu_ticks"] - a["cpu_ticks"]) / CLK_TCK
                 if a["cpu_ticks"] is not None and b["cpu_ticks"] is not None else None)
        row = {"window": label, "t0": a["t"], "t1": round(t1, 3), "seconds": round(dt, 2),
               "rss_mib": round(b["rss_kb"] / 1024, 2) if b["rss_kb"] else None,
               "fds": b["fds"], "threads": b["threads"],
               "received": rec, "cpu_s": cpu_s,
               "cpu_us_per_record": round(1e6 * cpu_s / rec, 3) if rec and cpu_s is not None else None,
               "logged_per_s": round((b["nft_logged"] - a["nft_logged"]) / dt, 1) if dt > 0 else None,
               # (approximate: a process that exits unreaped drops out)
               "other_cpu_s": (max(0.0, round((b["other_ticks"] - a["other_ticks"]) / CLK_TCK, 1))
                               if a["other_ticks"] is not None and b["other_ticks"] is not None else None)}
        for n in OUTPUTS:
            w = b["outputs"].get(n, {}).get("written", 0) - a["outputs"].get(n, {}).get("written", 0)
            row[f"written_per_s_{n}"] = round(w / dt, 1) if dt > 0 else None
            row[f"loss_{n}"] = self.loss_of(b, n)
        return row

    def summary(self):
        a = self.args
        tr = [s for s in self.samples if s["t_sched"] is not None]
        end = next((s for s in tr if s["label"] == "end of traffic"), tr[-1])
        base_t = min(60, a.duration / 2)
        base = min((s for s in tr if s["t_sched"] >= base_t), key=lambda s: s["t_sched"], default=end)
        half = [s for s in tr if s["t_sched"] >= a.duration / 2]
        res = {}
        for key in ("rss_kb", "fds", "threads"):
            vals = [s[key] for s in self.samples if s[key] is not None]
            res[key] = {"first": self.samples[0][key], "after_first_minute": base[key],
                        "end": end[key], "max": max(vals) if vals else None}
        rs = slope([(s["t"] / 60, s["rss_kb"]) for s in half])
        fs = slope([(s["t"] / 60, s["fds"]) for s in half])
        res["rss_slope_kib_per_min"] = round(rs, 2) if rs is not None else None
        res["fds_slope_per_min"] = round(fs, 4) if fs is not None else None
        res["slope_from_s"] = half[0]["t_sched"] if half else None
        res["baseline_t"] = base["t_sched"]
        # CPU per record: the first vs the last N minutes (N = 3, fewer in
        # a short run: at most half of it each).
        span = min(180, a.duration / 2)
        span = max(a.sample_every, span - span % a.sample_every)
        first_end = min((s for s in tr if s["t_sched"] >= span), key=lambda s: s["t_sched"], default=end)
        last_start = max((s for s in tr if s["t_sched"] <= a.duration - span),
                         key=lambda s: s["t_sched"], default=tr[0])
        w1 = self.window(tr[0], first_end, "first")
        w2 = self.window(last_start, end, "last")
        res["cpu_window_s"] = span
        res["cpu_us_per_record_first"] = w1["cpu_us_per_record"]
        res["cpu_us_per_record_last"] = w2["cpu_us_per_record"]
        res["cpu_first_window"] = [w1["t0"], w1["t1"]]
        res["cpu_last_window"] = [w2["t0"], w2["t1"]]
        growth = (end["rss_kb"] - base["rss_kb"]) if end["rss_kb"] and base["rss_kb"] else None
        res["rss_growth_kb"] = growth
        flat = growth is not None and growth < 1024 and end["fds"] == base["fds"]
        res["flat"] = flat
        res["flat_rule"] = (f"RSS at the end of the traffic - RSS after {base['t_sched']:g} s < 1 MiB "
                            f"({'+' if (growth or 0) >= 0 else ''}{fmt_num(growth)} KiB), and the fd count "
                            f"at the end equal to that after {base['t_sched']:g} s "
                            f"({end['fds']} vs {base['fds']})")
        return res


# ------------------------------------------------------------ report


def markdown(R):
    m = R["meta"]
    L = []
    L.append(f"Soak of nflogd {m.get('nflogd_git')} ({m.get('nflogd_version')}), {m.get('date')}, "
             f"kernel {m.get('kernel')}, {m.get('cpu')} × {m.get('cpus')}: "
             f"{fmt_num(m['rate'])} packets/s for {m['duration']:g} s "
             f"(sent {fmt_num(m.get('sent'))} at {fmt_num(m.get('send_rate'), 0)}/s), "
             f"one rule, outputs JSON file + LOG text file; SIGHUP every "
             f"{m['reload_every'] or '–'} s, logrotate every {m['rotate_every'] or '–'} s; "
             f"samples every {m['sample_every']:g} s.  Load average {' '.join(m.get('loadavg_start', []))} "
             f"at the start, {' '.join(m.get('loadavg_end', []))} at the end.")
    L.append("")
    L.append("Per minute (RSS, fds: at the end of the window; CPU per record received, "
             "each written twice, as JSON and as LOG text; loss: cumulative, nflogd's counters; "
             "other CPU: processes outside the soak):")
    L.append("")
    L.append("| minute | RSS MiB | fds | threads | CPU µs/record | logged/s | written/s JSON | "
             "written/s LOG | loss JSON | loss LOG | other CPU-s |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w in R["minutes"]:
        L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            w["window"], fmt_num(w["rss_mib"], 2), fmt_num(w["fds"]), fmt_num(w["threads"]),
            fmt_num(w["cpu_us_per_record"], 2), fmt_num(w["logged_per_s"], 0),
            fmt_num(w["written_per_s_json"], 0), fmt_num(w["written_per_s_text"], 0),
            fmt_num(w["loss_json"]), fmt_num(w["loss_text"]), fmt_num(w["other_cpu_s"], 1)))
    L.append("")
    s = R.get("summary") or {}
    if s:
        r, f = s["rss_kb"], s["fds"]
        mib = (lambda x: fmt_num(x / 1024, 2) if x is not None else "–")
        L.append(f"- RSS MiB: first {mib(r['first'])}, after {s['baseline_t']:g} s {mib(r['after_first_minute'])}, "
                 f"end {mib(r['end'])}, max {mib(r['max'])}; slope over the second half "
                 f"(from {fmt_num(s['slope_from_s'])} s): {fmt_num(s['rss_slope_kib_per_min'], 2)} KiB/min")
        L.append(f"- fds: first {f['first']}, after {s['baseline_t']:g} s {f['after_first_minute']}, "
                 f"end {f['end']}, max {f['max']}; slope over the second half: "
                 f"{fmt_num(s['fds_slope_per_min'], 3)} /min")
        t = s["threads"]
        L.append(f"- threads: first {t['first']}, end {t['end']}, max {t['max']}")
        L.append(f"- CPU µs/record: first {s['cpu_window_s']:g} s {fmt_num(s['cpu_us_per_record_first'], 2)}, "
                 f"last {s['cpu_window_s']:g} s {fmt_num(s['cpu_us_per_record_last'], 2)}")
        L.append(f"- drained {fmt_num(R.get('drain_seconds'), 2)} s after the traffic; nflogd exit code "
                 f"{R.get('nflogd_exit_code')}")
        L.append("")
    acc = R.get("accounting") or []
    if acc:
        L.append("Accounting at the end (kernel-logged: the nft rule's counter; "
                 "lost, malformed: the group's; the rest: the output's):")
        L.append("")
        L.append("| output | kernel-logged | written | lost | dropped | failed | pending | malformed | "
                 "suppressed | sum | identity | files | lines | bad lines | lines = written |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---:|---:|---:|:-:|")
        yn = (lambda b: "yes" if b else "**no**")
        for a in acc:
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                a["output"], *(fmt_num(a[k]) for k in ("kernel_logged", "written", "lost", "dropped",
                                                         "failed", "pending", "malformed", "suppressed",
                                                         "sum")),
                yn(a["identity"]), a["files"], fmt_num(a["lines"]), fmt_num(a["bad_lines"]),
                yn(a["lines_equal_written"])))
        L.append("")
    act = R.get("actions") or {}
    if act:
        rl, ro = act.get("reloads", []), act.get("rotations", [])
        L.append(f"Reloads: {sum(1 for x in rl if x['ok'])}/{len(rl)} counted and accepted by nflogd; "
                 f"rotations: {sum(1 for x in ro if x['ok'])}/{len(ro)} done (logrotate exit 0, "
                 f"nflogd holding only the new files"
                 + (f", at most {max(x['reopen_seconds'] for x in ro):.2f} s after logrotate started"
                    if ro else "") + ").")
        L.append("")
    said = R.get("nflogd_log")
    if said:
        L.append(f"nflogd's own log: {said['reloads']} \"configuration reloaded\", {said['reopens']} "
                 f"\"reopening output files\", {said['other_count']} other message(s)"
                 + (":" if said["other"] else "."))
        L.append("")
        for x in said["other"]:
            L.append(f"    {x}")
        if said["other"]:
            L.append("")
    if s:
        L.append(f"**flat: {'yes' if s['flat'] else 'no'}** — rule: {s['flat_rule']}.")
        L.append("")
    if R.get("failures"):
        L.append("Failures:")
        L.append("")
        for f in R["failures"]:
            L.append(f"- {f}")
        L.append("")
    L.append(f"Result: {'PASS' if not R.get('failures') else 'FAIL'}")
    return "\n".join(L)


def meta_info(b, a):
    return {
        **machine_meta(b.nflogd, b.source_dir(), a.nflogd_rev),
        "logrotate": (quiet_out(["logrotate", "--version"]).splitlines() or [""])[0],
        "duration": a.duration, "rate": a.rate, "reload_every": a.reload_every,
        "rotate_every": a.rotate_every, "sample_every": a.sample_every,
        "rotate_keep": ROTATE_KEEP, "keep_files": a.keep_files,
        "rule": f'ip saddr {SRC_IP} udp sport {SPORT} counter log group {GROUP} snaplen 128 '
                f'prefix "{PREFIX}" drop',
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=600, help="seconds of traffic (default 600)")
    ap.add_argument("--rate", type=int, default=50000, help="packets/s (default 50000)")
    ap.add_argument("--reload-every", type=float, default=30,
                    help="SIGHUP every S seconds (default 30; 0: never)")
    ap.add_argument("--rotate-every", type=float, default=60,
                    help="logrotate -f every S seconds (default 60; 0: never)")
    ap.add_argument("--sample-every", type=float, default=10, help="seconds (default 10)")
    ap.add_argument("--build", default="build-soak", help="build directory (default build-soak)")
    ap.add_argument("--out", help="results JSON (default BUILD/soak-results.json)")
    ap.add_argument("--md", help="markdown report (default: --out with .md)")
    ap.add_argument("--nflogd-rev", help="the nflogd revision, for the results (default: "
                    "git describe of the build's source tree)")
    ap.add_argument("--keep-files", action="store_true",
                    help="do not empty rotated files once checked (needs the memory: "
                         "~80 MB per second of traffic at 50k packets/s)")
    ap.add_argument("--keep", metavar="DIR", help="copy the configurations, logrotate state "
                    "and nflogd's own log to DIR")
    ap.add_argument("--verify", nargs=3, metavar=("FILE", "FORMAT", "PREFIX"), help=argparse.SUPPRESS)
    ap.add_argument("--truncate", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.verify:
        return verify_main(*a.verify, a.truncate)
    if not os.environ.get("NFLOGD_SOAK_ISOLATED"):
        raise SystemExit("run it through bench/soak.sh")
    if a.duration <= 0 or a.rate <= 0 or a.sample_every <= 0:
        raise SystemExit("--duration, --rate and --sample-every must be > 0")
    out = a.out or os.path.join(os.path.realpath(a.build), "soak-results.json")
    md = a.md or (re.sub(r"\.json$", "", out) + ".md")

    b = Soak(a)
    started = time.monotonic()
    interrupted = []

    def on_sig(sig, frame):
        # The first signal stops the soak; the clean-up is not interrupted.
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        interrupted.append(sig)
        raise KeyboardInterrupt
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_sig)

    R = {"meta": {}, "samples": [], "minutes": [], "failures": b.failures}
    try:
        try:
            b.setup()
            R["meta"] = meta_info(b, a)
            log(f"nflogd {R['meta']['nflogd_git']} ({R['meta']['nflogd_version']}); "
                f"{R['meta']['cpu']}, {R['meta']['cpus']} CPUs")
            b.soak()
            R["accounting"] = b.accounting()
        except Failed as e:
            b.fail(str(e))
        except KeyboardInterrupt:
            b.fail("interrupted" + (f" by signal {interrupted[0]}" if interrupted else ""))
        except Exception as e:  # noqa: BLE001 - reported, and the clean-up still runs
            b.fail(f"{type(e).__name__}: {e}")
    except KeyboardInterrupt:
        b.fail("interrupted")
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        b.cleanup()

    R["meta"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    R["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    R["meta"].setdefault("rate", a.rate)
    R["meta"].setdefault("duration", a.duration)
    R["meta"].setdefault("reload_every", a.reload_every)
    R["meta"].setdefault("rotate_every", a.rotate_every)
    R["meta"].setdefault("sample_every", a.sample_every)
    sent = getattr(b, "sent", None)
    if sent:
        R["meta"].update(sent=sent["sent"], send_rate=sent["rate"], send_errors=sent.get("errors"))
    R["samples"] = b.samples
    R["actions"] = b.actions
    R["files"] = b.verified
    R["drain_seconds"] = getattr(b, "drain_s", None)
    R["nflogd_exit_code"] = getattr(b, "exit_code", None)
    R["nflogd_log"] = getattr(b, "nflogd_said", None)
    if sum(1 for s in b.samples if s["t_sched"] is not None) >= 2:
        try:
            R["minutes"] = b.minutes()
            # The verdict needs the whole run.
            if any(s["label"] == "end of traffic" for s in b.samples):
                R["summary"] = b.summary()
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            b.fail(f"summary: {type(e).__name__}: {e}")
    R["failures"] = b.failures
    text = markdown(R)
    print(text, flush=True)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(R, f, indent=1)
            f.write("\n")
        with open(md, "w") as f:
            f.write(text + "\n")
        log(f"results: {out}, {md}")
    except OSError as e:
        log(f"cannot write the results: {e}")
        return 1
    log(f"wall time {R['meta']['wall_seconds']} s; {'PASS' if not b.failures else 'FAIL'}")
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main())
