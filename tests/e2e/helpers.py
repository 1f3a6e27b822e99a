#!/usr/bin/python3
"""Small tools for the end-to-end tests (standard library only).

    helpers.py notify-reader SOCKET OUT        sd_notify receiver
    helpers.py kmsg-reader PREFIX OUT READY    kernel log lines with PREFIX
    helpers.py server ADDR4 ADDR6 READY        TCP/UDP peers for traffic
    helpers.py tcp ADDR PORT SPORT             one TCP exchange, bounded
    helpers.py udp ADDR PORT SPORT COUNT [DELAY]  COUNT datagrams
    helpers.py udp-paced ADDR PORT SPORT COUNT RATE  COUNT datagrams, RATE/s
    helpers.py check-records KLOG JSON         JSON records == kernel lines
    helpers.py expect JSON EXPECT.json         field expectations

Every blocking call has a timeout: a test never hangs on its traffic.
"""
import errno
import ipaddress
import json
import os
import select
import signal
import socket
import sys
import time

STOP = False


def _stop(*_):
    global STOP
    STOP = True


def notify_reader(path, out):
    """Bind an AF_UNIX datagram socket and append every datagram to out
    as one JSON line {"t": time, "pid": sender, "msg": text}."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    signal.signal(signal.SIGTERM, _stop)
    with open(out, "a", buffering=1) as f:
        while not STOP:
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
            pid = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = int.from_bytes(cdata[0:4], sys.byteorder)
            f.write(json.dumps({"t": time.time(), "pid": pid,
                                "msg": data.decode("utf-8", "replace")}) + "\n")


def kmsg_reader(prefix, out, ready):
    """Copy /dev/kmsg messages that start with prefix to out, one per
    line, from the moment we start (older messages are skipped)."""
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(fd, 0, os.SEEK_END)
    signal.signal(signal.SIGTERM, _stop)
    open(ready, "w").close()
    with open(out, "a", buffering=1) as f:
        while not STOP:
            try:
                rec = os.read(fd, 8192)
            except BlockingIOError:
                select.select([fd], [], [], 0.2)
                continue
            except OSError as e:
                if e.errno == errno.EPIPE:    # overwritten: go on
                    f.write("#kmsg-overrun\n")
                    continue
                raise
            head, _, rest = rec.partition(b";")
            msg = rest.split(b"\n", 1)[0].decode("utf-8", "replace")
            if msg.startswith(prefix):
                f.write(msg + "\n")


def server(addr4, addr6, ready):
    """Accept TCP on 5001 (v4) and 5003 (v6), read until EOF, close;
    count UDP datagrams on 5002 (v4) and 5004 (v6)."""
    signal.signal(signal.SIGTERM, _stop)
    socks = []
    for fam, addr, port, typ in ((socket.AF_INET, addr4, 5001, socket.SOCK_STREAM),
                                 (socket.AF_INET6, addr6, 5003, socket.SOCK_STREAM),
                                 (socket.AF_INET, addr4, 5002, socket.SOCK_DGRAM),
                                 (socket.AF_INET6, addr6, 5004, socket.SOCK_DGRAM)):
        s = socket.socket(fam, typ)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        if typ == socket.SOCK_STREAM:
            s.listen(16)
        socks.append(s)
    open(ready, "w").close()
    conns = []
    while not STOP:
        r, _, _ = select.select(socks + conns, [], [], 0.2)
        for s in r:
            if s in conns:
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    conns.remove(s)
                    s.close()
            elif s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                conns.append(c)
            else:
                s.recvfrom(65536)


def tcp_client(addr, port, sport):
    """Connect from a fixed source port, send 'hello', shut down, read
    until the server closes: SYN, ACK, data, FIN, ACK from our side.

    The pause after connect() lets the server accept() first: from then
    on the server's socket has a file, and the kernel prints UID=/GID=
    for our data and FIN (early demux finds the socket).  Without it,
    whether a packet has UID= depends on when the server process runs --
    and may even change between the kernel's LOG rule and the NFLOG rule
    that follows it for the same packet."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    s.bind(("", int(sport)))
    s.connect((addr, int(port)))
    time.sleep(0.3)
    s.sendall(b"hello")
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()


def udp_send(addr, port, sport, count, delay=0.0):
    """count datagrams "udp-e2e NNNNN" to port, port+1, ... (so each one
    can be told apart by its destination port)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", int(sport)))
    for i in range(int(count)):
        s.sendto(b"udp-e2e %05d" % i, (addr, int(port) + i))
        if delay:
            time.sleep(float(delay))
    s.close()


def udp_paced(addr, port, sport, count, rate):
    """count datagrams as udp_send's, rate a second, paced by the clock
    (a spin between sends: sleep() is too coarse for thousands a
    second)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", int(sport)))
    gap = 1.0 / float(rate)
    t0 = time.perf_counter()
    for i in range(int(count)):
        while time.perf_counter() < t0 + i * gap:
            pass
        s.sendto(b"udp-e2e %05d" % i, (addr, int(port) + i))
    s.close()


def udp_flood(addr, port, sport, count):
    """count datagrams from one source port to one destination port, as
    fast as they go (a flood of one flow)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", int(sport)))
    for i in range(int(count)):
        s.sendto(b"udp-flood %05d" % i, (addr, int(port)))
    s.close()


# ------------------------------------------------------------------ checks

def kv(line):
    """key=value tokens of a kernel LOG line (flags as key=True)."""
    d = {}
    for tok in line.split():
        k, eq, v = tok.partition("=")
        if eq and k not in d:      # first one: the outer packet
            d[k] = v
        elif not eq:
            d.setdefault(tok, True)
    return d


def norm_ip(a):
    return str(ipaddress.ip_address(a)) if a else None


def key_of_kernel(line):
    """What identifies a packet, from its kernel LOG line (the outer
    packet: the part before a quoted ' [' packet of an ICMP error)."""
    outer = line.split(" [", 1)[0]
    ip_part, _, l4_part = outer.partition(" PROTO=")
    ipd, l4 = kv(ip_part), kv("PROTO=" + l4_part)
    proto = l4.get("PROTO")
    k = [norm_ip(ipd.get("SRC")), norm_ip(ipd.get("DST")), int(ipd["LEN"]),
         proto, int(ipd["ID"]) if "ID" in ipd else int(ipd.get("FLOWLBL", -1))]
    if proto in ("TCP", "UDP"):
        k += [int(l4["SPT"]), int(l4["DPT"])]
    if proto == "TCP":
        k += [int(l4["SEQ"]), int(l4["ACK"]), int(l4["WINDOW"])]
    if proto in ("ICMP", "ICMPv6"):
        k += [int(l4["TYPE"]), int(l4["CODE"])]
        if "SEQ" in l4:
            k += [int(l4["ID"]), int(l4["SEQ"])]
    # UID=/GID= come only with a socket the kernel knows: as it says
    k += [int(l4["UID"]) if "UID" in l4 else None,
          int(l4["GID"]) if "GID" in l4 else None]
    return tuple(k)


def key_of_json(r):
    net = r.get("network", {})
    ip = r.get("ip", {})
    num = int(net.get("iana_number", -1))
    proto = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}.get(num, str(num))
    k = [norm_ip(get(r, "source.ip")), norm_ip(get(r, "destination.ip")),
         ip.get("len"), proto, ip["id"] if "id" in ip else ip.get("flow_label", -1)]
    if proto in ("TCP", "UDP"):
        k += [get(r, "source.port"), get(r, "destination.port")]
    if proto == "TCP":
        t = r["tcp"]
        k += [t["seq"], t["ack"], t["window"]]
    if proto in ("ICMP", "ICMPv6"):
        ic = r.get("icmp") or r.get("icmpv6")
        k += [ic["type"], ic["code"]]
        if "seq" in ic:
            k += [ic["id"], ic["seq"]]
    k += [get(r, "nflog.uid"), get(r, "nflog.gid")]
    return tuple(k)


def check_records(klog, jsonl):
    """The JSON records are exactly the packets of the kernel lines: one
    record per line, the same packet (addresses, ports, lengths, IDs,
    TCP sequence numbers, ICMP type/code/id/seq), none extra, none
    missing."""
    klines = [l.rstrip("\n") for l in open(klog) if not l.startswith("#")]
    recs = []
    bad = 0
    for n, l in enumerate(open(jsonl), 1):
        try:
            recs.append(json.loads(l))
        except ValueError:
            print(f"FAIL {jsonl}:{n}: not JSON: {l[:120]!r}")
            bad += 1
    kk = sorted(map(key_of_kernel, klines), key=repr)
    jk = sorted(map(key_of_json, recs), key=repr)
    if kk != jk:
        ks, js = set(kk), set(jk)
        for k in kk:
            if k not in js:
                print("FAIL kernel line without JSON record:", k)
        for k in jk:
            if k not in ks:
                print("FAIL JSON record without kernel line:", k)
        if len(kk) != len(jk):
            print(f"FAIL {len(kk)} kernel lines, {len(jk)} JSON records")
        return 1
    print(f"ok: {len(recs)} JSON records are exactly the {len(klines)} "
          "packets of the kernel's LOG lines")
    return 1 if bad else 0


def get(r, path):
    for p in path.split("."):
        if isinstance(r, dict) and p in r:
            r = r[p]
        else:
            return None
    return r


def expect(jsonl, spec):
    """spec: a JSON list of {"name", "where": {path: value}, "want":
    {path: value}, "count": n}.  Each entry selects records by "where"
    and needs exactly "count" (default 1) of them, each with "want".
    A value of "*" means "present"; a list value compares as a list."""
    recs = [json.loads(l) for l in open(jsonl)]
    fails = 0
    for e in json.load(open(spec)):
        sel = [r for r in recs
               if all(get(r, k) == v for k, v in e.get("where", {}).items())]
        want_n = e.get("count", 1)
        if len(sel) != want_n:
            print(f"FAIL {e['name']}: {len(sel)} records match {e['where']}, "
                  f"expected {want_n}")
            fails += 1
            continue
        bad = 0
        for r in sel:
            for k, v in e.get("want", {}).items():
                got = get(r, k)
                if (v == "*" and got is None) or (v != "*" and got != v):
                    print(f"FAIL {e['name']}: {k} = {got!r}, expected {v!r}")
                    bad += 1
        fails += bad
        if not bad:
            print(f"ok: {e['name']}: {len(sel)} record(s), "
                  f"{len(e.get('want', {}))} field(s) as expected")
    return 1 if fails else 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "notify-reader":
        notify_reader(*args)
    elif cmd == "kmsg-reader":
        kmsg_reader(*args)
    elif cmd == "server":
        server(*args)
    elif cmd == "tcp":
        tcp_client(*args)
    elif cmd == "udp":
        udp_send(*args)
    elif cmd == "udp-paced":
        udp_paced(*args)
    elif cmd == "udp-flood":
        udp_flood(*args)
    elif cmd == "check-records":
        return check_records(*args)
    elif cmd == "expect":
        return expect(*args)
    else:
        print("unknown command", cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
