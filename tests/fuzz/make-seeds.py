#!/usr/bin/python3
"""Regenerate the seed corpora of the libFuzzer targets.

  tests/fuzz/make-seeds.py [PCAP ...]

PCAP files default to tests/data/fixtures/*.pcap (NFLOG captures from the
real kernel, link type 239).  Written, after emptying both directories:

  corpus/pcap/         the captures cut into small pcap files of CHUNK
                       records each (small seeds keep the fuzzer fast),
                       plus hand-built records the kernel on the capture
                       host cannot produce (conntrack, VLAN, bridge L2
                       header, odd prefixes) and one big-endian file.
  corpus/nflog_batch/  the same records as the kernel sends them: each
                       record (nfgenmsg + attributes) behind an nlmsghdr of
                       type (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET,
                       CHUNK per datagram with NLM_F_MULTI and a trailing
                       NLMSG_DONE, and one single-message datagram (no
                       NLMSG_DONE, as the kernel sends one packet) per file.

Only the Python standard library is used.  Attribute headers in the records
are in the capturing host's byte order, as libpcap stores them; files from
the other byte order are cut into pcap seeds but not converted to netlink.
"""

import glob
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CHUNK = 4

LINKTYPE_NFLOG = 239
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET = 0
NLMSG_DONE = 3
NLM_F_MULTI = 2
NLA_F_NESTED = 0x8000

# NFULA_* (linux/netfilter/nfnetlink_log.h)
(PACKET_HDR, MARK, TIMESTAMP, INDEV, OUTDEV, PHYSINDEV, PHYSOUTDEV, HWADDR,
 PAYLOAD, PREFIX, UID, SEQ, SEQ_GLOBAL, GID, HWTYPE, HWHEADER, HWLEN, CT,
 CT_INFO, VLAN, L2HDR) = range(1, 22)
NFPROTO_IPV4, NFPROTO_BRIDGE, NFPROTO_IPV6 = 2, 7, 10


# ------------------------------------------------------------------ pcap

def read_pcap(path):
    """-> (endian prefix, header bytes, linktype, [(rechdr, data)])"""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 24:
        raise ValueError("%s: too short for a pcap file" % path)
    for e in "<>":
        magic, = struct.unpack(e + "I", buf[:4])
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    linktype = struct.unpack(e + "I", buf[20:24])[0] & 0xFFFF
    recs, off = [], 24
    while off + 16 <= len(buf):
        caplen = struct.unpack(e + "I", buf[off + 8:off + 12])[0]
        data = buf[off + 16:off + 16 + caplen]
        if len(data) != caplen:
            break                   # truncated last record: stop there
        recs.append((buf[off:off + 16], data))
        off += 16 + caplen
    return e, buf[:24], linktype, recs


def pcap_file(e, linktype, recs, nsec=False):
    hdr = struct.pack(e + "IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4,
                      2, 4, 0, 0, 262144, linktype)
    return hdr + b"".join(h + d for h, d in recs)


def rec_hdr(e, data, sec=1700000000, usec=0):
    return struct.pack(e + "IIII", sec, usec, len(data), len(data))


# ------------------------------------------------------------------ netlink

def align4(b):
    return b + b"\0" * (-len(b) % 4)


def nlmsg(payload, mtype, flags=0, seq=0):
    return align4(struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, 0)
                  + payload)


def datagram(records):
    """Kernel framing: N packet messages, NLMSG_DONE after them if N > 1."""
    multi = NLM_F_MULTI if len(records) > 1 else 0
    out = b"".join(nlmsg(r, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET,
                         multi, seq) for seq, r in enumerate(records))
    if len(records) > 1:
        # nfnetlink_log puts an nfgenmsg-sized, zeroed payload on DONE.
        out += nlmsg(b"\0" * 4, NLMSG_DONE, NLM_F_MULTI)
    return out


# ------------------------------------------------------------------ builders
# Records in host byte order for attribute headers, network order inside.

def attr(t, payload):
    return align4(struct.pack("=HH", 4 + len(payload), t) + payload)


def nest(t, *attrs):
    return attr(t | NLA_F_NESTED, b"".join(attrs))


def u32(t, v):
    return attr(t, struct.pack("!I", v))


def u16(t, v):
    return attr(t, struct.pack("!H", v))


def nfgen(family, group):
    return struct.pack("!BBH", family, 0, group)


def csum16(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(payload, proto, src=b"\x0a\0\0\x01", dst=b"\x0a\0\0\x02", opts=b"",
        frag=0x4000, ident=0x1c46):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload),
                    ident, frag, 64, proto, 0, src, dst) + opts
    return h[:10] + struct.pack("!H", csum16(h)) + h[12:] + payload


def ip6(payload, nh, src=b"\xfd\x99" + b"\0" * 13 + b"\x01",
        dst=b"\xfd\x99" + b"\0" * 13 + b"\x02"):
    return struct.pack("!IHBB16s16s", 0x60012345, len(payload), nh, 64,
                       src, dst) + payload


def tcp_syn(opts=b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x9a\x3c\x1f\x22"
                 b"\0\0\0\0\x01\x03\x03\x07"):
    doff = 5 + len(opts) // 4
    return struct.pack("!HHIIBBHHH", 54321, 22, 0x12345678, 0, doff << 4,
                       0x02, 64240, 0, 0) + opts


def udp(data=b"hello"):
    return struct.pack("!HHHH", 41000, 53, 8 + len(data), 0) + data


def base_attrs(hw_proto, hook, prefix, payload):
    hwhdr = b"\x02\0\0\0\x99\x02\x02\0\0\0\x99\x01" + struct.pack("!H", hw_proto)
    return (attr(PACKET_HDR, struct.pack("!HBB", hw_proto, hook, 0))
            + attr(PREFIX, prefix)
            + u32(INDEV, 2)
            + attr(HWADDR, struct.pack("!HH8s", 6, 0, b"\x02\0\0\0\x99\x01"))
            + u16(HWTYPE, 1) + u16(HWLEN, 14) + attr(HWHEADER, hwhdr)
            + attr(TIMESTAMP, struct.pack("!QQ", 1700000000, 123456))
            + attr(PAYLOAD, payload))


def synthetic():
    """Records the capture host cannot produce, or rarely does."""
    recs = []
    syn = ip4(tcp_syn(), 6)
    # Everything optional at once: output device, uid/gid, mark, sequences.
    recs.append(nfgen(NFPROTO_IPV4, 3) + base_attrs(0x0800, 3, b"all: \0", syn)
                + u32(OUTDEV, 3) + u32(MARK, 0x2a) + u32(UID, 1000)
                + u32(GID, 1000) + u32(SEQ, 7) + u32(SEQ_GLOBAL, 99))
    # Conntrack (NFULNL_CFG_F_CONNTRACK; the capture host lacks it), IPv4.
    tuple4 = nest(1,                                     # CTA_TUPLE_ORIG
                  nest(1, attr(1, b"\x0a\0\0\x01"), attr(2, b"\x0a\0\0\x02")),
                  nest(2, attr(1, b"\x06"), attr(2, struct.pack("!H", 54321)),
                       attr(3, struct.pack("!H", 22))))
    recs.append(nfgen(NFPROTO_IPV4, 4) + base_attrs(0x0800, 1, b"ct: \0", syn)
                + nest(CT, tuple4, u32(3, 0x188), u32(8, 5), u32(12, 0xdeadbeef),
                       u16(18, 1))
                + u32(CT_INFO, 2))
    # Conntrack, IPv6 tuple, with an IPv6 TCP packet behind hop-by-hop and
    # fragment headers.
    s6 = b"\xfd\x99" + b"\0" * 13 + b"\x01"
    d6 = b"\xfd\x99" + b"\0" * 13 + b"\x02"
    tuple6 = nest(1, nest(1, attr(3, s6), attr(4, d6)),
                  nest(2, attr(1, b"\x06"), attr(2, b"\x9c\x40"), attr(3, b"\0\x50")))
    hbh = struct.pack("!BB", 44, 0) + b"\x01\x04\0\0\0\0"        # PadN
    frag = struct.pack("!BBHI", 6, 0, 0x0001, 0x12345678)         # MF
    recs.append(nfgen(NFPROTO_IPV6, 5)
                + base_attrs(0x86DD, 0, b"v6 \xe2\x82\xac\0", ip6(hbh + frag + tcp_syn(), 0))
                + nest(CT, tuple6) + u32(CT_INFO, 3))
    # Bridge family: VLAN (nested), full L2 header, physical devices.
    l2 = (b"\x02\0\0\0\x99\x02\x02\0\0\0\x99\x01\x81\x00\x00\x64\x08\x00")
    recs.append(nfgen(NFPROTO_BRIDGE, 6)
                + base_attrs(0x0800, 1, b"br: \0", ip4(udp(), 17))
                + u32(PHYSINDEV, 4) + u32(PHYSOUTDEV, 5) + u32(OUTDEV, 6)
                + nest(VLAN, u16(1, 0x8100), u16(2, 100)) + attr(L2HDR, l2))
    # IPv4 options (record route) on an ICMP port unreachable quoting UDP.
    quoted = ip4(udp(b"q"), 17, src=b"\x0a\0\0\x02", dst=b"\x0a\0\0\x01")
    icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
    rr = b"\x07\x0b\x04" + b"\0" * 8 + b"\x00"
    recs.append(nfgen(NFPROTO_IPV4, 7)
                + base_attrs(0x0800, 1, b"icmp: \0", ip4(icmp, 1, opts=rr)))
    # Prefix with control bytes, a backslash, invalid UTF-8 and no NUL; an
    # attribute type from a newer kernel (skipped); a snapped packet.
    recs.append(nfgen(NFPROTO_IPV4, 8)
                + base_attrs(0x0800, 1, b"a\nb\x1b[0m\\\xff\xc3", syn[:30])
                + attr(30, b"future"))
    # Not IP at all (ARP) and no payload at all.
    recs.append(nfgen(3, 9) + attr(PACKET_HDR, struct.pack("!HBB", 0x0806, 0, 0))
                + attr(PAYLOAD, b"\0\x01\x08\0\x06\x04\0\x01" + b"\x11" * 20))
    recs.append(nfgen(NFPROTO_IPV4, 10) + attr(PACKET_HDR, struct.pack("!HBB", 0x0800, 2, 0))
                + attr(PREFIX, b"\0"))
    return recs


# ------------------------------------------------------------------ main

def write(path, data, seen):
    if data in seen:
        return 0
    seen.add(data)
    with open(path, "wb") as f:
        f.write(data)
    return 1


def main(argv):
    pcaps = argv[1:] or sorted(glob.glob(os.path.join(ROOT, "tests/data/fixtures/*.pcap")))
    out_pcap = os.path.join(HERE, "corpus", "pcap")
    out_nl = os.path.join(HERE, "corpus", "nflog_batch")
    for d in (out_pcap, out_nl):
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
    if not pcaps:
        print("make-seeds: no pcap files (tests/data/fixtures/*.pcap is empty);"
              " writing the synthetic seeds only", file=sys.stderr)

    host = "<" if sys.byteorder == "little" else ">"
    sources = []
    for p in pcaps:
        e, _, linktype, recs = read_pcap(p)
        sources.append((os.path.splitext(os.path.basename(p))[0], e, linktype, recs))
    syn = synthetic()
    sources.append(("synthetic", host, LINKTYPE_NFLOG,
                    [(rec_hdr(host, r, usec=i), r) for i, r in enumerate(syn)]))

    seen, n_pcap, n_nl = set(), 0, 0
    for stem, e, linktype, recs in sources:
        for i in range(0, len(recs), CHUNK):
            chunk = recs[i:i + CHUNK]
            n_pcap += write(os.path.join(out_pcap, "%s-%03d.pcap" % (stem, i // CHUNK)),
                            pcap_file(e, linktype, chunk), seen)
            if e == host and linktype == LINKTYPE_NFLOG:
                n_nl += write(os.path.join(out_nl, "%s-%03d.bin" % (stem, i // CHUNK)),
                              datagram([d for _, d in chunk]), seen)
        if recs and e == host and linktype == LINKTYPE_NFLOG:
            n_nl += write(os.path.join(out_nl, "%s-single.bin" % stem),
                          datagram([recs[0][1]]), seen)

    # The other byte order (refused by nflog_tlv_parse) and nanoseconds.
    other = ">" if host == "<" else "<"
    n_pcap += write(os.path.join(out_pcap, "synthetic-other-endian.pcap"),
                    pcap_file(other, LINKTYPE_NFLOG, [(rec_hdr(other, syn[0]), syn[0])]),
                    seen)
    n_pcap += write(os.path.join(out_pcap, "synthetic-nsec.pcap"),
                    pcap_file(host, LINKTYPE_NFLOG,
                              [(rec_hdr(host, syn[1], usec=999999999), syn[1])], nsec=True),
                    seen)
    # Every synthetic record in one datagram, as a full kernel batch would.
    n_nl += write(os.path.join(out_nl, "synthetic-all.bin"), datagram(syn), seen)

    print("make-seeds: %d pcap seeds in %s, %d netlink seeds in %s (from %d pcap files)"
          % (n_pcap, os.path.relpath(out_pcap, ROOT), n_nl, os.path.relpath(out_nl, ROOT),
             len(pcaps)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
