#!/usr/bin/python3
"""Packet driver for capture-fixtures.sh (run it through that script).

Runs inside the nfx-send namespace.  For every shape it sends one crafted
frame on "vs" (or, in the output phase, makes a real socket send one packet),
then waits until the kernel has written exactly one LOG line per rule prefix
(read from /dev/kmsg) and tcpdump has written exactly one NFLOG record per
capture file, and checks that the NFLOG payload is the packet that was sent.
Only then is the next packet sent, so line N of X.log belongs to record N of
X.pcap.

  capture_driver.py --capdir DIR --outdir DIR --mac-send M --mac-recv M
  capture_driver.py --verify DIR      (re-check a finished fixture directory)

Packets are built by hand (struct), not by a packet library, so that every
byte, including deliberately broken ones, is exactly as listed here.
"""

import argparse
import errno
import os
import select
import socket
import struct
import sys
import time

S4, D4, S4_SOCK = "10.99.0.1", "10.99.0.2", "10.99.0.3"
S6, D6, S6_SOCK = "fd99::1", "fd99::2", "fd99::3"

PRE_PREFIXES = {          # kernel LOG prefix -> capture (pcap) name
    "nfx-all: ": "all",
    "nfx-def: ": "noflags",
    "nfx-snap: ": "snaplen",
    "nfx-noeth: ": "noether",
}
OUT_PREFIXES = {
    "nfx-out: ": "output",
    "nfx-outdef: ": "output-noflags",
}
ING_PREFIXES = {           # netdev ingress hook on vr (frames from MAC_ING only)
    "nfx-ing: ": "ingress",
    "nfx-ingdef: ": "ingress-noflags",
}
IN_PREFIXES = {            # input hook of nfx-recv, traffic from 10.99.0.4 / fd99::4
    "nfx-in: ": "input",
    "nfx-indef: ": "input-noflags",
}
ALL_PREFIXES = dict(PRE_PREFIXES, **OUT_PREFIXES, **ING_PREFIXES, **IN_PREFIXES)
S4_IN, S6_IN = "10.99.0.4", "fd99::4"
SERVER_UID, SERVER_GID = 4321, 8765
MAC_ING = "02:00:00:00:99:03"   # source MAC of the ingress shapes
S4_ING = "10.99.0.5"
SNAPLEN = 40

# ------------------------------------------------------------------ builders


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def a4(x):
    return socket.inet_pton(socket.AF_INET, x)


def a6(x):
    return socket.inet_pton(socket.AF_INET6, x)


def pseudo(v, proto, length, src=None, dst=None):
    if v == 4:
        return a4(src or S4) + a4(dst or D4) + struct.pack("!BBH", 0, proto, length)
    return a6(src or S6) + a6(dst or D6) + struct.pack("!IxxxB", length, proto)


def with_csum(seg, off, v, proto, src=None, dst=None, cover=None):
    """Insert the checksum at seg[off:off+2]; pseudo header for TCP/UDP/ICMPv6."""
    seg = bytearray(seg)
    seg[off:off + 2] = b"\0\0"
    body = bytes(seg) if cover is None else bytes(seg[:cover])
    if proto is None:           # ICMPv4: no pseudo header
        c = csum16(body)
    else:
        c = csum16(pseudo(v, proto, len(seg), src, dst) + body)
    if proto == 17 and c == 0:
        c = 0xFFFF
    seg[off:off + 2] = struct.pack("!H", c)
    return bytes(seg)


FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE = (1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x100)

LINUX_SYN_OPTS = bytes.fromhex("020405b4" "0402" "080a0001e24000000000" "01" "030307")


def tcp(sport=40000, dport=80, seq=1000, ack=0, flags=SYN, res=0, win=64240, urp=0,
        opts=b"", data=b"", doff=None, v=4, src=None, dst=None):
    if doff is None:
        assert len(opts) % 4 == 0
        doff = 5 + len(opts) // 4
    hdr = struct.pack("!HHIIHHHH", sport, dport, seq, ack,
                      (doff << 12) | (res << 9) | flags, win, 0, urp) + opts
    return with_csum(hdr + data, 16, v, 6, src, dst)


def udp(sport=40001, dport=53, data=b"", length=None, v=4, proto=17, src=None, dst=None):
    ln = 8 + len(data) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, ln, 0) + data
    return with_csum(seg, 6, v, proto, src, dst)


def udplite(sport=40002, dport=5000, data=b"", coverage=8, v=4):
    seg = struct.pack("!HHHH", sport, dport, coverage, 0) + data
    return with_csum(seg, 6, v, 136, cover=coverage or len(seg))


def icmp(typ, code, rest=b"\0\0\0\0", data=b""):
    return with_csum(struct.pack("!BBH", typ, code, 0) + rest + data, 2, 4, None)


def icmp6(typ, code, rest=b"\0\0\0\0", data=b"", src=None, dst=None):
    return with_csum(struct.pack("!BBH", typ, code, 0) + rest + data, 2, 6, 58, src, dst)


def ip4(payload, proto, ident, tos=0, ttl=64, flags=0, frag=0, opts=b"",
        tot_len=None, ihl=None, src=S4, dst=D4, bad_csum=False, version=4):
    assert len(opts) % 4 == 0
    if ihl is None:
        ihl = 5 + len(opts) // 4
    total = 20 + len(opts) + len(payload) if tot_len is None else tot_len
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, total, ident,
                                (flags << 13) | frag, ttl, proto, 0, a4(src), a4(dst)) + opts)
    c = csum16(bytes(hdr))
    if bad_csum:
        c ^= 0x5555
    hdr[10:12] = struct.pack("!H", c)
    return bytes(hdr) + payload


IP_CE, IP_DF, IP_MF = 4, 2, 1    # the three flag bits (value << 13 in frag_off)


def ip6(payload, nh, tc=0, fl=0, hlim=64, plen=None, src=S6, dst=D6):
    ln = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", (6 << 28) | (tc << 20) | fl, ln, nh, hlim,
                       a6(src), a6(dst)) + payload


def ext(nh, body):
    """Hop-by-hop / destination options / routing header: body excludes nh+len."""
    assert (len(body) + 2) % 8 == 0
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


PADN4 = bytes.fromhex("01040000" "0000")          # PadN, 4 bytes of padding
RTALERT = bytes.fromhex("05020000" "0100")        # router alert (MLD) + PadN of length 0


def frag6(nh, offset, more, ident):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | (1 if more else 0), ident)


def ah(nh, spi, seq, icv=b"\xaa" * 12):
    body_len = 12 + len(icv)
    return struct.pack("!BBHII", nh, body_len // 4 - 2, 0, spi, seq) + icv


def esp(spi, seq, data=b"\x5a" * 24):
    return struct.pack("!II", spi, seq) + data


def pad(n, byte=0x61):
    return bytes([byte]) * n


# ------------------------------------------------------------------ shapes
# (name, description, ip_packet, options)
#   options: expect="drop" when the kernel is known to drop the packet before
#   the prerouting hook; dst_mac=...; frame=... (a complete frame);
#   trim=n (the kernel trims the packet to n bytes = IP total length).

SHAPES = []
_ident = [1000]


def nid():
    _ident[0] += 1
    return _ident[0]


def shape(name, desc, pkt, **kw):
    assert all(s[0] != name for s in SHAPES), name
    SHAPES.append((name, desc, pkt, kw))


def ing(name, desc, etype, payload, dst_mac="02:00:00:00:99:02", tags=()):
    """A netdev-ingress shape: the complete frame, sent from MAC_ING."""
    l2 = mac_bytes(dst_mac) + mac_bytes(MAC_ING)
    for tpid, tci in tags:
        l2 += struct.pack("!HH", tpid, tci)
    frame = l2 + struct.pack("!H", etype) + payload
    shape(name, desc, payload, stage="ingress", frame=frame)


def t4(name, desc, seg, **ipkw):
    shape(name, desc, ip4(seg, 6, ipkw.pop("ident", None) or nid(), **ipkw))


def build_shapes():
    # ---------------- IPv4 TCP
    t4("tcp-syn-opts", "SYN, Linux option set MSS,SACK-perm,TS,NOP,WS",
       tcp(flags=SYN, seq=123456789, opts=LINUX_SYN_OPTS), flags=IP_DF)
    t4("tcp-syn-noopts", "SYN, no options", tcp(flags=SYN, seq=1))
    t4("tcp-synack-opts", "SYN+ACK with MSS,NOP,NOP,SACK-perm,NOP,WS",
       tcp(sport=80, dport=40000, flags=SYN | ACK, seq=3000000000, ack=123456790,
           win=65160, opts=bytes.fromhex("020405b4" "01010402" "01030307")),
       flags=IP_DF)
    t4("tcp-ack", "bare ACK", tcp(flags=ACK, seq=123456790, ack=3000000001, win=502))
    t4("tcp-psh-ack-data", "PSH+ACK with 40 bytes of data",
       tcp(flags=PSH | ACK, seq=5, ack=6, data=b"GET / HTTP/1.0\r\nHost: nfx.example\r\n\r\n\r\n"))
    t4("tcp-fin-ack", "FIN+ACK", tcp(flags=FIN | ACK, seq=77, ack=88))
    t4("tcp-rst", "RST alone, window 0", tcp(flags=RST, seq=99, win=0))
    t4("tcp-rst-ack", "RST+ACK", tcp(flags=RST | ACK, seq=0, ack=100, win=0))
    t4("tcp-urg", "URG+ACK+PSH with urgent pointer 3",
       tcp(flags=URG | ACK | PSH, urp=3, data=b"!urgent"))
    t4("tcp-urgp-noflag", "urgent pointer 65535 without URG, extreme seq/ack/window",
       tcp(sport=65535, dport=65535, flags=ACK, seq=0xFFFFFFFF, ack=0xFFFFFFFF,
           win=65535, urp=65535))
    t4("tcp-syn-ece-cwr", "SYN+ECE+CWR (ECN setup), TOS ECT(0)",
       tcp(flags=SYN | ECE | CWR, opts=LINUX_SYN_OPTS), tos=0x02)
    t4("tcp-ae", "AE (0x100, former NS) + ACK", tcp(flags=AE | ACK))
    t4("tcp-all-flags", "all nine flags", tcp(flags=0x1FF, urp=1))
    t4("tcp-null", "no flags at all (null scan)", tcp(flags=0))
    t4("tcp-xmas", "FIN+PSH+URG (xmas)", tcp(flags=FIN | PSH | URG, urp=0))
    t4("tcp-res-bits", "reserved bits 0b101 set, SYN", tcp(flags=SYN, res=5))
    t4("tcp-res-all-ae", "all reserved bits + AE + SYN", tcp(flags=SYN | AE, res=7))
    t4("tcp-opt-md5", "MD5 signature option (kind 19) + NOP NOP",
       tcp(flags=SYN, opts=bytes([19, 18]) + bytes(range(16)) + b"\x01\x01"))
    t4("tcp-opt-ao", "TCP-AO option (kind 29, keyid 1, rnext 2, 12-byte MAC)",
       tcp(flags=ACK, opts=bytes([29, 16, 1, 2]) + bytes(range(0xA0, 0xAC))))
    t4("tcp-opt-mptcp", "MPTCP MP_CAPABLE (kind 30, len 12)",
       tcp(flags=SYN, opts=bytes([30, 12, 0x01, 0x81]) + bytes.fromhex("0102030405060708")))
    t4("tcp-opt-fastopen", "TCP fast open cookie (kind 34, len 10) + NOP NOP",
       tcp(flags=SYN, opts=bytes([34, 10]) + bytes.fromhex("c0ffee00deadbeef") + b"\x01\x01",
           data=b"tfo-data"))
    t4("tcp-opt-unknown", "unknown kinds 99 and 253 (experimental, ExID 0xf989)",
       tcp(flags=SYN, opts=bytes([99, 4, 0xAB, 0xCD, 253, 6, 0xF9, 0x89, 0x11, 0x22, 1, 0])))
    t4("tcp-opt-len0", "option with length byte 0", tcp(flags=SYN, opts=bytes([8, 0, 0, 0])))
    t4("tcp-opt-len1", "option with length byte 1", tcp(flags=SYN, opts=bytes([5, 1, 1, 1])))
    t4("tcp-opt-overrun", "option length 40 in an 8-byte option space",
       tcp(flags=SYN, opts=bytes([2, 40, 5, 0xB4, 1, 1, 1, 0])))
    t4("tcp-opt-eol-garbage", "EOL followed by non-zero bytes",
       tcp(flags=SYN, opts=bytes([2, 4, 5, 0xB4, 0, 0xDE, 0xAD, 0xBE])))
    t4("tcp-opt-max", "data offset 15: 40 bytes of options (SACK blocks)",
       tcp(flags=ACK, opts=bytes([1, 1, 8, 10]) + struct.pack("!II", 1, 2) +
           bytes([1, 1, 5, 26]) + struct.pack("!6I", 10, 20, 30, 40, 50, 60)))
    t4("tcp-doff-lt5", "data offset 2 (< 5)", tcp(flags=SYN, doff=2, data=b"abcdefgh"))
    t4("tcp-doff-overrun", "data offset 15 but only the 20-byte header present",
       tcp(flags=SYN, doff=15))
    t4("tcp-doff-partial-opts", "data offset 8, 8 of 12 option bytes present",
       tcp(flags=SYN, doff=8, opts=b"")[:20] + bytes([2, 4, 5, 0xB4, 1, 1, 4, 2]))
    t4("tcp-trunc-hdr", "IP total length leaves 10 bytes of TCP header",
       tcp(flags=SYN)[:10])
    t4("tcp-no-l4", "protocol TCP, no transport bytes at all", b"")
    t4("tcp-big-data", "ACK with 1400 bytes of data (for snaplen)",
       tcp(flags=ACK | PSH, data=pad(1400, 0x42)), flags=IP_DF)

    # ---------------- IPv4 UDP / UDP-Lite
    shape("udp-dns", "UDP 40001 -> 53, 29-byte payload",
          ip4(udp(data=b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03nfx\x07example\x00"[:29]), 17, nid()))
    shape("udp-empty", "UDP with no payload (LEN=8)", ip4(udp(sport=1, dport=2), 17, nid()))
    shape("udp-len-mismatch", "UDP length field 100, 10 bytes of data",
          ip4(udp(data=pad(10), length=100), 17, nid()))
    shape("udp-trunc", "IP total length leaves 4 bytes of UDP header",
          ip4(udp(data=b"zz")[:4], 17, nid()))
    shape("udp-eth-padded", "1-byte UDP in a frame padded to 60 bytes (kernel trims)",
          ip4(udp(data=b"x"), 17, nid()), eth_pad=60)
    shape("udp-multicast", "UDP to 224.0.0.251:5353 (multicast MAC)",
          ip4(udp(sport=5353, dport=5353, data=pad(12), dst="224.0.0.251"), 17, nid(),
              dst="224.0.0.251", ttl=255), dst_mac="01:00:5e:00:00:fb")
    shape("udp-broadcast", "UDP to 10.99.0.255 (broadcast MAC)",
          ip4(udp(sport=68, dport=67, data=pad(8), dst="10.99.0.255"), 17, nid(),
              dst="10.99.0.255"), dst_mac="ff:ff:ff:ff:ff:ff")
    shape("udplite", "UDP-Lite (136), checksum coverage 8",
          ip4(udplite(data=pad(16)), 136, nid()))
    shape("udplite-trunc", "UDP-Lite with only 6 header bytes", ip4(udplite()[:6], 136, nid()))
    shape("udp-mark", "UDP with IP ID 4242: nft sets mark 0x2a -> MARK=0x2a",
          ip4(udp(data=pad(4)), 17, 4242))

    # ---------------- IPv4 header fields
    shape("ip-df", "DF set, UDP", ip4(udp(data=pad(4)), 17, nid(), flags=IP_DF))
    shape("ip-ce", "reserved/evil bit 0x8000 (CE) set", ip4(udp(data=pad(4)), 17, nid(), flags=IP_CE))
    shape("ip-ce-df", "CE and DF set", ip4(udp(data=pad(4)), 17, nid(), flags=IP_CE | IP_DF))
    shape("ip-tos-ef", "TOS 0xb8 (DSCP EF)", ip4(udp(data=pad(4)), 17, nid(), tos=0xB8))
    shape("ip-tos-ff", "TOS 0xff (all bits, ECN CE)", ip4(udp(data=pad(4)), 17, nid(), tos=0xFF))
    shape("ip-tos-1e", "TOS 0x1e, precedence 0", ip4(udp(data=pad(4)), 17, nid(), tos=0x1E))
    shape("ip-ttl0-id65535", "TTL 0, ID 65535, TOS 0xe0",
          ip4(udp(data=pad(4)), 17, 65535, ttl=0, tos=0xE0))
    shape("ip-ttl255-id0", "TTL 255, ID 0", ip4(udp(data=pad(4)), 17, 0, ttl=255))

    # ---------------- IPv4 options (flags all: OPT (hex))
    u = udp(data=pad(4))
    shape("ipopt-rr", "record route, 2 slots, + EOL pad",
          ip4(u, 17, nid(), opts=bytes([7, 11, 4]) + bytes(8) + b"\0"))
    shape("ipopt-ts", "timestamp option (68), flag 0, 2 slots",
          ip4(u, 17, nid(), opts=bytes([68, 12, 5, 0]) + struct.pack("!II", 0x01020304, 0)))
    shape("ipopt-lsrr", "loose source route via 10.99.0.9, + NOP",
          ip4(u, 17, nid(), opts=bytes([1, 131, 7, 4]) + a4("10.99.0.9")))
    shape("ipopt-ssrr", "strict source route via 10.99.0.9, + NOP",
          ip4(u, 17, nid(), opts=bytes([1, 137, 7, 4]) + a4("10.99.0.9")))
    shape("ipopt-ra", "router alert (148)", ip4(u, 17, nid(), opts=bytes([148, 4, 0, 0])))
    shape("ipopt-nop-eol", "NOP NOP NOP EOL", ip4(u, 17, nid(), opts=bytes([1, 1, 1, 0])))
    shape("ipopt-unknown", "unknown option 0x9e len 6 + NOP NOP",
          ip4(u, 17, nid(), opts=bytes([0x9E, 6, 1, 2, 3, 4, 1, 1])))
    shape("ipopt-max", "IHL 15: 40 bytes of options (RR with 9 slots)",
          ip4(u, 17, nid(), opts=bytes([7, 39, 4]) + bytes(36) + b"\0"))
    shape("ipopt-tcp", "router alert on a TCP SYN with options",
          ip4(tcp(flags=SYN, opts=LINUX_SYN_OPTS), 6, nid(), opts=bytes([148, 4, 0, 0])))

    # ---------------- IPv4 fragments
    full_tcp = tcp(flags=SYN | ACK, opts=LINUX_SYN_OPTS, data=pad(64))
    shape("frag-tcp-first", "first fragment (MF, offset 0) of TCP, full header",
          ip4(full_tcp[:48], 6, 2001, flags=IP_MF))
    shape("frag-tcp-next", "non-first fragment (offset 48 bytes = 6) of TCP",
          ip4(full_tcp[48:], 6, 2001, frag=6))
    shape("frag-tcp-tiny", "first fragment with only 8 bytes of TCP",
          ip4(full_tcp[:8], 6, 2002, flags=IP_MF))
    full_udp = udp(data=pad(100))
    shape("frag-udp-first", "first fragment of UDP (MF, offset 0)",
          ip4(full_udp[:64], 17, 2003, flags=IP_MF))
    shape("frag-udp-last", "last fragment of UDP (offset 64 bytes = 8, no MF)",
          ip4(full_udp[64:], 17, 2003, frag=8))
    shape("frag-udp-middle-df", "middle fragment with DF|MF, offset 8191 (max)",
          ip4(pad(16), 17, 2004, flags=IP_MF | IP_DF, frag=8191))
    full_icmp = icmp(8, 0, struct.pack("!HH", 7, 1), pad(80))
    shape("frag-icmp-first", "first fragment of ICMP echo",
          ip4(full_icmp[:48], 1, 2005, flags=IP_MF))
    shape("frag-icmp-next", "non-first fragment of ICMP (offset 6)",
          ip4(full_icmp[48:], 1, 2005, frag=6))
    shape("frag-ah-next", "non-first fragment of AH: kernel prints nothing for AH",
          ip4(pad(24), 51, 2006, frag=3))
    shape("frag-esp-next", "non-first fragment of ESP", ip4(pad(24), 50, 2007, frag=3))
    shape("frag-gre-next", "non-first fragment of GRE", ip4(pad(24), 47, 2008, frag=3))

    # ---------------- other IPv4 protocols
    shape("gre", "GRE (47) carrying IPv4",
          ip4(struct.pack("!HH", 0, 0x0800) + ip4(udp(data=b"in"), 17, 7), 47, nid()))
    shape("sctp", "SCTP (132) INIT chunk",
          ip4(struct.pack("!HHII", 5000, 5001, 0, 0) +
              struct.pack("!BBHIIHHI", 1, 0, 20, 0xabcdef01, 65535, 10, 10, 1), 132, nid()))
    shape("ah", "AH (51) SPI 0x1000 carrying TCP",
          ip4(ah(6, 0x1000, 1) + tcp(flags=SYN), 51, nid()))
    shape("ah-trunc", "AH with 8 of 12 header bytes", ip4(ah(6, 0x1000, 1)[:8], 51, nid()))
    shape("esp", "ESP (50) SPI 0xdeadbeef", ip4(esp(0xDEADBEEF, 1), 50, nid()))
    shape("esp-trunc", "ESP with 6 of 8 header bytes", ip4(esp(1, 1)[:6], 50, nid()))
    shape("igmp", "IGMP (2) v2 report", ip4(icmp(0x16, 0, a4("239.1.2.3")), 2, nid(),
                                           opts=bytes([148, 4, 0, 0]), ttl=1))
    shape("proto-253", "unknown protocol 253", ip4(pad(12), 253, nid()))
    shape("proto-0", "protocol 0 (HOPOPT number in IPv4)", ip4(pad(12), 0, nid()))
    shape("ipip", "IPv4-in-IPv4 (4)", ip4(ip4(udp(), 17, 9), 4, nid()))

    # ---------------- ICMPv4
    echo_data = bytes(range(56))
    shape("icmp-echo", "echo request id 4660 seq 1",
          ip4(icmp(8, 0, struct.pack("!HH", 0x1234, 1), echo_data), 1, nid(), flags=IP_DF))
    shape("icmp-echo-reply", "echo reply id 4660 seq 2",
          ip4(icmp(0, 0, struct.pack("!HH", 0x1234, 2), echo_data), 1, nid()))
    inner_udp = ip4(udp(sport=33434, dport=33435, data=pad(24), src=D4, dst=S4), 17, 3001,
                    src=D4, dst=S4, ttl=1)
    inner_tcp = ip4(tcp(sport=40000, dport=80, flags=SYN, opts=LINUX_SYN_OPTS, src=D4, dst=S4),
                    6, 3002, src=D4, dst=S4, flags=IP_DF)
    inner_echo = ip4(icmp(8, 0, struct.pack("!HH", 99, 3), pad(16)), 1, 3003, src=D4, dst=S4, ttl=1)
    shape("icmp-unreach-port-udp", "port unreachable quoting IP+UDP (+24 bytes)",
          ip4(icmp(3, 3, b"\0\0\0\0", inner_udp), 1, nid(), tos=0xC0))
    shape("icmp-fragneeded-tcp8", "frag needed MTU 1400 quoting IP + 8 bytes of TCP",
          ip4(icmp(3, 4, struct.pack("!HH", 0, 1400), inner_tcp[:28]), 1, nid()))
    shape("icmp-unreach-host-tcp", "host unreachable quoting full TCP SYN with options",
          ip4(icmp(3, 1, b"\0\0\0\0", inner_tcp), 1, nid()))
    shape("icmp-unreach-inner-opts", "admin prohibited quoting IP with RR option + UDP",
          ip4(icmp(3, 13, b"\0\0\0\0", ip4(udp(src=D4, dst=S4), 17, 3004, src=D4, dst=S4,
                                                opts=bytes([7, 7, 4, 0, 0, 0, 0, 0]))), 1, nid()))
    shape("icmp-unreach-inner-frag", "net unreachable quoting a non-first fragment",
          ip4(icmp(3, 0, b"\0\0\0\0", ip4(pad(16), 17, 3005, src=D4, dst=S4, frag=10)), 1, nid()))
    shape("icmp-unreach-inner-trunc", "port unreachable quoting IP header only (UDP missing)",
          ip4(icmp(3, 3, b"\0\0\0\0", inner_udp[:20]), 1, nid()))
    shape("icmp-unreach-short", "dest unreachable with only the 8-byte ICMP header",
          ip4(icmp(3, 3), 1, nid()))
    shape("icmp-time-exceeded", "TTL exceeded in transit quoting ICMP echo",
          ip4(icmp(11, 0, b"\0\0\0\0", inner_echo), 1, nid()))
    shape("icmp-time-exceeded-reass", "fragment reassembly time exceeded quoting UDP",
          ip4(icmp(11, 1, b"\0\0\0\0", inner_udp[:28]), 1, nid()))
    shape("icmp-nested-error", "time exceeded quoting a port unreachable (no 2nd recursion)",
          ip4(icmp(11, 0, b"\0\0\0\0",
                   ip4(icmp(3, 3, b"\0\0\0\0", inner_udp[:28]), 1, 3006, src=D4, dst=S4)), 1, nid()))
    shape("icmp-redirect", "redirect host, gateway 10.99.0.254, quoting UDP",
          ip4(icmp(5, 1, a4("10.99.0.254"), inner_udp[:28]), 1, nid()))
    shape("icmp-source-quench", "source quench (4) quoting TCP",
          ip4(icmp(4, 0, b"\0\0\0\0", inner_tcp[:28]), 1, nid()))
    shape("icmp-param-problem", "parameter problem pointer 20 quoting IP with options",
          ip4(icmp(12, 0, bytes([20, 0, 0, 0]), ip4(udp(src=D4, dst=S4), 17, 3007, src=D4, dst=S4,
                                                      opts=bytes([0x9E, 4, 0, 0]))), 1, nid()))
    shape("icmp-timestamp", "timestamp request (13)",
          ip4(icmp(13, 0, struct.pack("!HH", 5, 6), struct.pack("!III", 1000, 0, 0)), 1, nid()))
    shape("icmp-timestamp-reply", "timestamp reply (14)",
          ip4(icmp(14, 0, struct.pack("!HH", 5, 6), struct.pack("!III", 1000, 2000, 2001)), 1, nid()))
    shape("icmp-timestamp-short", "timestamp request with 8 of 20 bytes -> INCOMPLETE",
          ip4(icmp(13, 0, struct.pack("!HH", 5, 7)), 1, nid()))
    shape("icmp-addrmask", "address mask request (17)",
          ip4(icmp(17, 0, struct.pack("!HH", 1, 1), a4("0.0.0.0")), 1, nid()))
    shape("icmp-trunc", "ICMP with only 3 bytes", ip4(b"\x08\x00\xf7", 1, nid()))
    shape("icmp-unknown-type", "unknown type 200 code 5", ip4(icmp(200, 5, pad(4)), 1, nid()))
    shape("icmp-type-41", "type 41 (> NR_ICMP_TYPES) code 1", ip4(icmp(41, 1), 1, nid()))

    # ---------------- IPv6
    shape("v6-tcp-syn-opts", "IPv6 TCP SYN with Linux options",
          ip6(tcp(flags=SYN, seq=42, opts=bytes.fromhex("020405a0040208") +
                  b"\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07", v=6), 6))
    shape("v6-tcp-rst-ack", "IPv6 TCP RST+ACK", ip6(tcp(flags=RST | ACK, ack=43, win=0, v=6), 6))
    shape("v6-tcp-trunc", "IPv6 TCP header truncated to 12 bytes", ip6(tcp(v=6)[:12], 6))
    shape("v6-udp", "IPv6 UDP", ip6(udp(data=pad(20), v=6), 17))
    shape("v6-udp-trunc", "IPv6 UDP with 5 header bytes", ip6(udp(v=6)[:5], 17))
    shape("v6-udplite", "IPv6 UDP-Lite (136)", ip6(udplite(data=pad(8), v=6), 136))
    shape("v6-tc-flowlabel", "traffic class 0xb8, flow label 0x12345",
          ip6(udp(data=pad(4), v=6), 17, tc=0xB8, fl=0x12345))
    shape("v6-tc-ff-fl-max", "traffic class 0xff, flow label 0xfffff, hop limit 255",
          ip6(udp(data=pad(4), v=6), 17, tc=0xFF, fl=0xFFFFF, hlim=255))
    shape("v6-mark", "flow label 424242: nft sets mark 0x2a -> MARK=0x2a",
          ip6(udp(data=pad(4), v=6), 17, fl=424242))
    shape("v6-multicast", "UDP to ff02::fb (multicast MAC 33:33:00:00:00:fb)",
          ip6(udp(sport=5353, dport=5353, data=pad(8), v=6, dst="ff02::fb"), 17, hlim=255,
              dst="ff02::fb"), dst_mac="33:33:00:00:00:fb")
    shape("v6-icmp6-echo", "ICMPv6 echo request",
          ip6(icmp6(128, 0, struct.pack("!HH", 0x4321, 1), bytes(range(32))), 58))
    shape("v6-icmp6-echo-reply", "ICMPv6 echo reply",
          ip6(icmp6(129, 0, struct.pack("!HH", 0x4321, 2), bytes(range(32))), 58))
    in6_udp = ip6(udp(sport=33434, dport=33435, data=pad(12), v=6, src=D6, dst=S6), 17,
                  hlim=1, src=D6, dst=S6)
    in6_tcp = ip6(tcp(flags=SYN, opts=LINUX_SYN_OPTS, v=6, src=D6, dst=S6), 6, src=D6, dst=S6)
    in6_echo = ip6(icmp6(128, 0, struct.pack("!HH", 1, 1), pad(8), src=D6, dst=S6), 58,
                   src=D6, dst=S6, hlim=1)
    shape("v6-icmp6-unreach", "ICMPv6 port unreachable quoting IPv6 UDP",
          ip6(icmp6(1, 4, b"\0\0\0\0", in6_udp), 58))
    shape("v6-icmp6-pkt-too-big", "ICMPv6 packet too big MTU 1280 quoting IPv6 TCP",
          ip6(icmp6(2, 0, struct.pack("!I", 1280), in6_tcp), 58))
    shape("v6-icmp6-time-exceeded", "ICMPv6 hop limit exceeded quoting echo request",
          ip6(icmp6(3, 0, b"\0\0\0\0", in6_echo), 58))
    shape("v6-icmp6-param-problem", "ICMPv6 param problem pointer 40 quoting IPv6 with dest opts",
          ip6(icmp6(4, 1, struct.pack("!I", 40),
                    ip6(ext(17, PADN4) + udp(v=6, src=D6, dst=S6), 60, src=D6, dst=S6)), 58))
    shape("v6-icmp6-unreach-inner-frag", "ICMPv6 unreachable quoting a non-first fragment",
          ip6(icmp6(1, 0, b"\0\0\0\0",
                    ip6(frag6(17, 185, False, 0x0BADF00D) + pad(16), 44, src=D6, dst=S6)), 58))
    shape("v6-icmp6-unreach-short", "ICMPv6 unreachable with a truncated inner header",
          ip6(icmp6(1, 3, b"\0\0\0\0", in6_udp[:30]), 58))
    shape("v6-icmp6-nested-error", "ICMPv6 time exceeded quoting an ICMPv6 unreachable",
          ip6(icmp6(3, 0, b"\0\0\0\0",
                    ip6(icmp6(1, 4, b"\0\0\0\0", in6_udp[:48], src=D6, dst=S6), 58,
                        src=D6, dst=S6)), 58))
    shape("v6-icmp6-ns", "ICMPv6 neighbour solicitation (135)",
          ip6(icmp6(135, 0, b"\0\0\0\0", a6(D6) + bytes([1, 1]) + bytes.fromhex("020000009901")),
              58, hlim=255))
    shape("v6-icmp6-mld-report", "MLDv1 report (131) with hop-by-hop router alert",
          ip6(ext(58, RTALERT) + icmp6(131, 0, b"\0\0\0\0", a6("ff02::1:ff00:1"), dst="ff02::1:ff00:1"),
              0, hlim=1, dst="ff02::1:ff00:1"), dst_mac="33:33:ff:00:00:01")
    shape("v6-icmp6-unknown", "ICMPv6 unknown type 200", ip6(icmp6(200, 7), 58))
    shape("v6-icmp6-trunc", "ICMPv6 with 2 bytes", ip6(b"\x80\x00", 58))
    shape("v6-hbh", "hop-by-hop options (PadN) + UDP", ip6(ext(17, PADN4) + udp(v=6, data=pad(4)), 0))
    shape("v6-routing", "routing header type 0, segments left 0, + TCP",
          ip6(ext(6, bytes([0, 0]) + bytes(4) + a6("fd99::9")) + tcp(flags=SYN, v=6), 43))
    shape("v6-dstopts", "destination options (PadN) + TCP",
          ip6(ext(6, PADN4) + tcp(flags=ACK, v=6), 60))
    shape("v6-frag-first", "fragment header offset 0 M=1 + UDP",
          ip6(frag6(17, 0, True, 0x12345678) + udp(data=pad(48), v=6)[:40], 44))
    shape("v6-frag-next", "fragment header offset 40 bytes (5), M=0",
          ip6(frag6(17, 5, False, 0x12345678) + pad(16), 44))
    shape("v6-frag-atomic", "atomic fragment (offset 0, M=0) + ICMPv6 echo",
          ip6(frag6(58, 0, False, 0x1) + icmp6(128, 0, struct.pack("!HH", 1, 1)), 44))
    shape("v6-frag-next-dstopts", "non-first fragment whose next header is dest opts",
          ip6(frag6(60, 7, True, 0xCAFE) + pad(16), 44))
    shape("v6-frag-next-icmp6", "non-first fragment of ICMPv6",
          ip6(frag6(58, 7, False, 0xCAFF) + pad(16), 44))
    shape("v6-frag-next-ah", "non-first fragment whose next header is AH",
          ip6(frag6(51, 7, False, 0xCB00) + pad(16), 44))
    shape("v6-frag-trunc", "fragment header with only 4 bytes", ip6(frag6(17, 0, True, 1)[:4], 44))
    shape("v6-ah", "AH SPI 0x2000 + TCP", ip6(ah(6, 0x2000, 9) + tcp(flags=SYN, v=6), 51))
    shape("v6-ah-trunc", "AH with 8 of 12 bytes", ip6(ah(6, 0x2000, 9)[:8], 51))
    shape("v6-esp", "ESP SPI 0xfeedf00d", ip6(esp(0xFEEDF00D, 3), 50))
    shape("v6-esp-trunc", "ESP with 4 bytes", ip6(esp(1, 1)[:4], 50))
    shape("v6-nonext", "no next header (59) with trailing bytes", ip6(pad(8), 59))
    shape("v6-dstopts-nonext", "dest options then no next header", ip6(ext(59, PADN4), 60))
    shape("v6-ext-chain", "HBH, dest opts, routing, fragment(0,M=0), AH, dest opts, TCP",
          ip6(ext(60, PADN4) + ext(43, PADN4) + ext(44, bytes([0, 0]) + bytes(4) + a6("fd99::9")) +
              frag6(51, 0, False, 0xABCDEF01) + ah(60, 0x3000, 1) + ext(6, PADN4) +
              tcp(flags=SYN, v=6), 0))
    shape("v6-ext-trunc", "dest options header cut after 1 byte", ip6(b"\x06", 60))
    shape("v6-ext-len-overrun", "dest options hdrlen 10 (88 bytes), 8 present, then nothing",
          ip6(bytes([6, 10]) + PADN4, 60))
    shape("v6-sctp", "IPv6 SCTP (132)", ip6(struct.pack("!HHII", 5000, 5001, 0, 0), 132))
    shape("v6-proto-253", "IPv6 unknown next header 253", ip6(pad(8), 253))
    shape("v6-ipv4-in-ipv6", "IPv4 in IPv6 (4)", ip6(ip4(udp(), 17, 11), 4))
    shape("v6-ipv6-in-ipv6", "IPv6 in IPv6 (41)", ip6(ip6(udp(v=6), 17), 41))
    shape("v6-mobility", "mobility header (135), not an extension header for the logger",
          ip6(bytes([59, 0, 0, 0, 0, 0, 0, 0]), 135))

    # ---------------- longest lines
    tcp40 = bytes([1, 1, 8, 10]) + struct.pack("!II", 0xFFFFFFFF, 0xFFFFFFFF) + \
        bytes([1, 1, 5, 26]) + struct.pack("!6I", *([0xFFFFFFFF] * 6))
    inner = ip4(tcp(sport=65535, dport=65535, seq=0xFFFFFFFF, ack=0xFFFFFFFF, win=65535,
                    urp=65535, flags=0x1FF, res=7, opts=tcp40, src="255.255.255.255",
                    dst="255.255.255.254"),
                6, 65535, tos=0xFF, ttl=255, flags=IP_CE | IP_DF | IP_MF,
                opts=bytes([68, 40, 5, 0]) + bytes([0xEE]) * 36,
                src="255.255.255.255", dst="255.255.255.254")
    shape("icmp-max-line", "frag needed (ID 4242: mark), 40 bytes of IP options outside and inside, "
          "inner TCP with every flag and 40 option bytes",
          ip4(icmp(3, 4, struct.pack("!HH", 0, 65535), inner), 1, 4242, tos=0xFF, ttl=255,
              flags=IP_CE | IP_DF, opts=bytes([7, 39, 4]) + bytes([0xDD]) * 36 + b"\0"))
    in6_chain = (ext(60, PADN4) + ext(43, PADN4) +
                 ext(44, bytes([0, 0]) + bytes(4) + a6("fd99::9")) +
                 frag6(51, 0, True, 0xFFFFFFFF) + ah(60, 0xFFFFFFFF, 1) + ext(6, PADN4))
    shape("v6-icmp6-max-line", "ICMPv6 unreachable behind HBH+dest opts quoting IPv6 with a "
          "6-header chain and TCP with every flag and 40 option bytes",
          ip6(ext(60, PADN4) + ext(58, PADN4) +
              icmp6(1, 255, b"\0\0\0\0",
                    ip6(in6_chain + tcp(sport=65535, dport=65535, seq=0xFFFFFFFF,
                                        ack=0xFFFFFFFF, win=65535, urp=65535, flags=0x1FF, res=7,
                                        opts=tcp40, v=6, src=D6, dst=S6),
                        0, tc=0xFF, fl=0xFFFFF, hlim=255, src=D6, dst=S6)),
              0, tc=0xFF, fl=424242, hlim=255))

    # ---------------- VLAN
    shape("vlan0-udp", "802.1Q priority tag (VID 0, PCP 5) carrying UDP; the tag is gone "
          "by the prerouting hook", ip4(udp(data=pad(4)), 17, nid()), vlan=(5 << 13) | 0)

    # ---------------- dropped before prerouting (expected: no log line)
    shape("drop-ip-bad-csum", "bad IPv4 header checksum",
          ip4(udp(data=pad(4)), 17, nid(), bad_csum=True), expect="drop")
    shape("drop-ip-ihl4", "IPv4 IHL 4", ip4(udp(data=pad(4)), 17, nid(), ihl=4), expect="drop")
    shape("drop-ip-totlen-long", "IPv4 total length beyond the frame",
          ip4(udp(data=pad(4)), 17, nid(), tot_len=200), expect="drop")
    shape("drop-ip-totlen-short", "IPv4 total length < IHL*4",
          ip4(udp(data=pad(4)), 17, nid(), tot_len=16), expect="drop")
    shape("drop-ip-version5", "version 5 in an IPv4 frame",
          ip4(udp(data=pad(4)), 17, nid(), version=5), expect="drop")
    shape("drop-otherhost", "unicast frame for another MAC address",
          ip4(udp(data=pad(4)), 17, nid()), dst_mac="02:00:00:00:99:77", expect="drop")
    shape("drop-vlan5", "802.1Q VID 5 (no VLAN device)",
          ip4(udp(data=pad(4)), 17, nid()), vlan=5, expect="drop")
    shape("drop-v6-hbh-unknown", "hop-by-hop option type 0x41 (discard if unknown)",
          ip6(ext(17, bytes([0x41, 4, 0, 0, 0, 0])) + udp(v=6), 0), expect="drop")
    shape("drop-v6-plen-long", "IPv6 payload length beyond the frame",
          ip6(udp(v=6), 17, plen=100), expect="drop")
    shape("drop-v6-src-multicast", "IPv6 multicast source address",
          ip6(udp(v=6), 17, src="ff02::1"), expect="drop")

    # ---------------- netdev ingress hook (family NFPROTO_NETDEV), source MAC_ING
    u5 = ip4(udp(sport=40005, dport=7, data=pad(4), src=S4_ING), 17, 0, src=S4_ING)
    ing("ing-udp4", "untagged IPv4 UDP", 0x0800, u5)
    ing("ing-vlan5-udp4", "802.1Q VID 5 PCP 3 carrying IPv4 UDP", 0x0800, u5,
        tags=[(0x8100, (3 << 13) | 5)])
    ing("ing-vlan0-udp4", "802.1Q priority tag (VID 0, PCP 5) carrying IPv4 UDP", 0x0800, u5,
        tags=[(0x8100, (5 << 13) | 0)])
    ing("ing-vlan4094-dei-udp6", "802.1Q VID 4094 with DEI carrying IPv6 UDP", 0x86DD,
        ip6(udp(sport=40005, dport=7, data=pad(4), v=6, src="fd99::5"), 17, src="fd99::5"),
        tags=[(0x8100, (1 << 12) | 4094)])
    ing("ing-qinq", "802.1ad VID 10 over 802.1Q VID 20 carrying IPv4 UDP", 0x0800, u5,
        tags=[(0x88A8, 10), (0x8100, 20)])
    arp_req = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_bytes(MAC_ING),
                          a4(S4_ING), bytes(6), a4(D4))
    arp_rep = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac_bytes(MAC_ING),
                          a4(S4_ING), bytes.fromhex("020000009902"), a4(D4))
    ing("ing-arp-request", "ARP who-has 10.99.0.2 tell 10.99.0.5 (broadcast)", 0x0806,
        arp_req, dst_mac="ff:ff:ff:ff:ff:ff")
    ing("ing-arp-reply", "ARP reply 10.99.0.5 is-at 02:00:00:00:99:03", 0x0806, arp_rep)
    ing("ing-arp-trunc", "ARP request with the 8-byte header only", 0x0806, arp_req[:8],
        dst_mac="ff:ff:ff:ff:ff:ff")
    ing("ing-arp-nonether", "ARP with hardware type 6 (IEEE 802) and hlen 8", 0x0806,
        struct.pack("!HHBBH", 6, 0x0800, 8, 4, 1) + bytes(24), dst_mac="ff:ff:ff:ff:ff:ff")
    ing("ing-vlan7-arp", "802.1Q VID 7 carrying an ARP request", 0x0806, arp_req,
        dst_mac="ff:ff:ff:ff:ff:ff", tags=[(0x8100, 7)])
    ing("ing-ethertype-88b5", "local experimental ethertype 0x88b5", 0x88B5, pad(46, 0x77))


# ------------------------------------------------------------------ I/O

def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


class Kmsg:
    """Non-blocking reader of /dev/kmsg, starting at the current end."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.lines = {p: [] for p in ALL_PREFIXES}
        self.noise = []
        self.other_nfx = []

    @staticmethod
    def unescape(s):
        out = bytearray()
        i = 0
        b = s.encode("latin-1")
        while i < len(b):
            if b[i:i + 2] == b"\\x" and i + 4 <= len(b):
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
            else:
                out.append(b[i])
                i += 1
        return out.decode("latin-1")

    def poll(self):
        while True:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EPIPE:      # ring buffer overran us
                    sys.exit("kmsg: records were lost (EPIPE)")
                raise
            text = rec.decode("latin-1")
            head, _, rest = text.partition(";")
            msg = self.unescape(rest.split("\n", 1)[0])
            if msg.startswith("nfx-noise: "):
                self.noise.append(msg)
                continue
            for p in ALL_PREFIXES:
                if msg.startswith(p):
                    self.lines[p].append(msg)
                    break
            else:
                if msg.startswith("nfx-"):
                    self.other_nfx.append(msg)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    return parse_pcap(data)[0]


def parse_pcap(data):
    """-> (records, consumed); records are (ts_sec, ts_usec, caplen, origlen, bytes)."""
    if len(data) < 24:
        return [], 0
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        e = "<"
    elif magic == 0xD4C3B2A1:
        e = ">"
    else:
        raise ValueError("not a microsecond pcap")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    assert linktype == 239, linktype
    recs, off = [], 24
    while off + 16 <= len(data):
        ts, tu, cl, ol = struct.unpack(e + "IIII", data[off:off + 16])
        if off + 16 + cl > len(data):
            break
        recs.append((ts, tu, cl, ol, data[off + 16:off + 16 + cl]))
        off += 16 + cl
    return recs, off


class PcapTail:
    def __init__(self, path):
        self.path = path
        self.records = []

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return
        self.records = parse_pcap(data)[0]


def nflog_tlvs(rec):
    """NFLOG pcap record -> (family, group, {type: [values]})."""
    fam, ver, res = struct.unpack("!BBH", rec[:4])
    tlvs, off = {}, 4
    while off + 4 <= len(rec):
        ln, typ = struct.unpack("<HH", rec[off:off + 4])   # host (little) endian
        if ln < 4:
            break
        tlvs.setdefault(typ & 0x7FFF, []).append(rec[off + 4:off + ln])
        off += (ln + 3) & ~3
    return fam, res, tlvs


NFULA_PAYLOAD, NFULA_PREFIX, NFULA_IFINDEX_INDEV, NFULA_IFINDEX_OUTDEV = 9, 10, 4, 5
NFULA_UID, NFULA_GID, NFULA_MARK = 11, 14, 2


# ------------------------------------------------------------------ capture

class Capture:
    def __init__(self, args):
        self.args = args
        self.kmsg = Kmsg()
        self.pcaps = {name: PcapTail(os.path.join(args.capdir, name + ".pcap"))
                      for name in ALL_PREFIXES.values()}
        self.shapes = {name: [] for name in ALL_PREFIXES.values()}
        self.logs = {name: [] for name in ALL_PREFIXES.values()}
        self.unreached = []
        self.reached_despite_drop = []
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind(("vs", 0))

    def counts(self):
        self.kmsg.poll()
        for p in self.pcaps.values():
            p.poll()
        return ({p: len(v) for p, v in self.kmsg.lines.items()},
                {n: len(p.records) for n, p in self.pcaps.items()})

    def check_quiet(self, where):
        """Nothing may arrive but what a step waits for (not between steps)."""
        kc, pc = self.counts()
        for p, n in ALL_PREFIXES.items():
            if kc[p] != len(self.logs[n]) or pc[n] != len(self.logs[n]):
                for line in self.kmsg.lines[p][len(self.logs[n]):]:
                    print("    line:", line, file=sys.stderr)
                sys.exit("%s: stray output for %r: kmsg %d pcap %d, expected %d"
                         % (where, p, kc[p], pc[n], len(self.logs[n])))
        return kc, pc

    def step(self, name, prefixes, send, quiet_timeout, count=1):
        """Run send(); wait for exactly `count` lines+records per prefix.
        Returns {capture: (line, record)} (count 1) or {capture: [(line,
        record), ...]}, or None when nothing at all arrived."""
        kc0, pc0 = self.check_quiet("before " + name)
        t0 = time.monotonic()
        send()
        deadline = time.monotonic() + quiet_timeout
        got_any = False
        while True:
            kc, pc = self.counts()
            done = all(kc[p] >= kc0[p] + count and
                       pc[ALL_PREFIXES[p]] >= pc0[ALL_PREFIXES[p]] + count for p in prefixes)
            any_new = any(kc[p] > kc0[p] for p in ALL_PREFIXES) or \
                any(pc[n] > pc0[n] for n in pc)
            if done:
                self.last_elapsed = time.monotonic() - t0
                break
            if any_new and not got_any:
                got_any = True
                deadline = time.monotonic() + 5.0
            if time.monotonic() > deadline:
                if not got_any:
                    return None
                sys.exit("%s: incomplete: kmsg %r->%r pcap %r->%r" % (name, kc0, kc, pc0, pc))
            time.sleep(0.005)
        time.sleep(0.05)                        # anything extra would show up now
        kc, pc = self.counts()
        for p in ALL_PREFIXES:
            want = kc0[p] + (count if p in prefixes else 0)
            n = ALL_PREFIXES[p]
            wantp = pc0[n] + (count if p in prefixes else 0)
            if kc[p] != want or pc[n] != wantp:
                for line in self.kmsg.lines[p][kc0[p]:]:
                    print("    line:", line, file=sys.stderr)
                sys.exit("%s: unexpected extra output for %r: kmsg %d->%d pcap %d->%d"
                         % (name, p, kc0[p], kc[p], pc0[n], pc[n]))
        res = {}
        for p in prefixes:
            n = ALL_PREFIXES[p]
            got = list(zip(self.kmsg.lines[p][kc0[p]:],
                           [r[4] for r in self.pcaps[n].records[pc0[n]:]]))
            res[n] = got[0] if count == 1 else got
        return res

    def record_multi(self, names, res):
        for n, got in res.items():
            assert len(got) == len(names)
            for name, (line, rec) in zip(names, got):
                self.logs[n].append(line)
                self.shapes[n].append(name)

    def record(self, name, res):
        for n, (line, rec) in res.items():
            self.logs[n].append(line)
            self.shapes[n].append(name)

    # -------------------------------------------------------- prerouting
    def run_frames(self, stage):
        """Send the crafted frames of one stage ("pre" or "ingress")."""
        prefixes = PRE_PREFIXES if stage == "pre" else ING_PREFIXES
        mac_s = mac_bytes(self.args.mac_send)
        for name, desc, pkt, kw in SHAPES:
            if kw.get("stage", "pre") != stage:
                continue
            if "frame" in kw:
                frame = kw["frame"]
                expected = None
            else:
                dst_mac = mac_bytes(kw.get("dst_mac", self.args.mac_recv))
                etype = 0x0800 if pkt[0] >> 4 in (4, 5) else 0x86DD
                if "vlan" in kw:
                    l2 = dst_mac + mac_s + struct.pack("!HHH", 0x8100, kw["vlan"], etype)
                else:
                    l2 = dst_mac + mac_s + struct.pack("!H", etype)
                frame = l2 + pkt
                if "eth_pad" in kw and len(frame) < kw["eth_pad"]:
                    frame += bytes(kw["eth_pad"] - len(frame))
                if etype == 0x0800 and pkt[0] >> 4 == 4:
                    expected = pkt[:struct.unpack("!H", pkt[2:4])[0]]
                else:
                    expected = pkt
            res = self.step(name, list(prefixes), lambda: self.sock.send(frame),
                            quiet_timeout=1.0)
            if res is None:
                if stage != "pre":
                    sys.exit("%s: not logged at ingress" % name)
                self.unreached.append((name, desc, kw.get("expect") == "drop"))
                print("  %-28s NOT LOGGED%s" % (name, "" if kw.get("expect") == "drop"
                                                 else "  (unexpected!)"))
                continue
            if kw.get("expect") == "drop":
                self.reached_despite_drop.append(name)
            for n, (line, rec) in res.items():
                fam, grp, tlvs = nflog_tlvs(rec)
                payload = tlvs.get(NFULA_PAYLOAD, [b""])[0]
                if expected is not None:
                    want = expected[:SNAPLEN] if n == "snaplen" else expected
                    if payload != want:
                        sys.exit("%s/%s: NFLOG payload differs from the packet sent\n%s\n%s"
                                 % (name, n, payload.hex(), want.hex()))
                elif not frame.endswith(payload):
                    sys.exit("%s/%s: NFLOG payload is not the end of the frame sent\n%s\n%s"
                             % (name, n, payload.hex(), frame.hex()))
                prefix = tlvs[NFULA_PREFIX][0].rstrip(b"\0").decode()
                if not line.startswith(prefix + "IN=vr OUT= "):
                    sys.exit("%s/%s: line/prefix mismatch: %r %r" % (name, n, prefix, line))
            self.record(name, res)
            first = list(prefixes)[1]
            print("  %-28s %4dms %s" % (name, self.last_elapsed * 1000,
                                        res[prefixes[first]][0][len(first):]))

    # -------------------------------------------------------- output hook
    def run_out(self):
        for name, desc, fn in OUT_ACTIONS:
            holder = []

            def send():
                holder.append(fn())

            res = self.step(name, list(OUT_PREFIXES), send, quiet_timeout=2.0)
            for h in holder:
                if h is not None:
                    h.close()
            if res is None:
                sys.exit("%s: output packet not logged" % name)
            for n, (line, rec) in res.items():
                fam, grp, tlvs = nflog_tlvs(rec)
                prefix = tlvs[NFULA_PREFIX][0].rstrip(b"\0").decode()
                if not line.startswith(prefix + "IN= OUT=vs "):
                    sys.exit("%s/%s: line/prefix mismatch: %r %r" % (name, n, prefix, line))
                payload = tlvs[NFULA_PAYLOAD][0]
                src = (socket.inet_ntop(socket.AF_INET, payload[12:16]) if payload[0] >> 4 == 4
                       else socket.inet_ntop(socket.AF_INET6, payload[8:24]))
                if src not in (S4_SOCK, S6_SOCK):
                    sys.exit("%s: unexpected source %s" % (name, src))
            self.record(name, res)
            print("  %-28s %4dms %s" % (name, self.last_elapsed * 1000,
                                        res["output"][0][len("nfx-out: "):]))

    # -------------------------------------------------------- input hook
    def run_in(self):
        """Real connections from 10.99.0.4 / fd99::4 to a server process in
        nfx-recv (uid 4321, gid 8765), logged at the input hook there."""
        r1, w1 = os.pipe()          # server -> driver
        r2, w2 = os.pipe()          # driver -> server
        pid = os.fork()
        if pid == 0:
            os.close(r1)
            os.close(w2)
            try:
                server_main(self.args.recv_ns, w1, r2)
            except BaseException as e:     # noqa
                print("server:", repr(e), file=sys.stderr)
                os._exit(1)
            os._exit(0)
        os.close(w1)
        os.close(r2)
        wait_byte(r1, b"R")
        P = list(IN_PREFIXES)
        keep = []

        def one(name, fn, count=1, names=None):
            res = self.step(name, P, fn, quiet_timeout=2.0, count=count)
            if res is None:
                sys.exit("%s: not logged at input" % name)
            got = res if count > 1 else {n: [v] for n, v in res.items()}
            for n, lst in got.items():
                for line, rec in lst:
                    fam, grp, tlvs = nflog_tlvs(rec)
                    prefix = tlvs[NFULA_PREFIX][0].rstrip(b"\0").decode()
                    if not line.startswith(prefix + "IN=vr OUT= "):
                        sys.exit("%s/%s: line/prefix mismatch: %r %r" % (name, n, prefix, line))
                    pl = tlvs[NFULA_PAYLOAD][0]
                    src = (socket.inet_ntop(socket.AF_INET, pl[12:16]) if pl[0] >> 4 == 4
                           else socket.inet_ntop(socket.AF_INET6, pl[8:24]))
                    if src not in (S4_IN, S6_IN):
                        sys.exit("%s: unexpected source %s" % (name, src))
            self.record_multi(names or [name], got)
            for i, (line, rec) in enumerate(got["input"]):
                print("  %-28s %4dms %s" % ((names or [name])[i], self.last_elapsed * 1000,
                                            line[len("nfx-in: "):]))

        for fam, src, dst, v in ((socket.AF_INET, S4_IN, D4, "4"),
                                 (socket.AF_INET6, S6_IN, D6, "6")):
            t = socket.socket(fam, socket.SOCK_STREAM)
            t.bind((src, 46000))
            t.setblocking(False)
            keep.append(t)
            one("in-tcp%s-handshake" % v, lambda: t.connect_ex((dst, 6000)), count=2,
                names=["in-tcp%s-syn" % v, "in-tcp%s-handshake-ack" % v])
            wait_byte(r1, b"a")                 # accept()ed: the socket has a file now
            t.setblocking(True)
            one("in-tcp%s-data" % v, lambda: t.send(b"GET / HTTP/1.0\r\n\r\n"))
            one("in-tcp%s-fin" % v, lambda: t.shutdown(socket.SHUT_WR))
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.bind((src, 46001))
            keep.append(u)
            one("in-udp%s-connected" % v, lambda: u.sendto(b"to a connected socket", (dst, 6001)))
            one("in-udp%s-unconnected" % v, lambda: u.sendto(b"to a bound socket", (dst, 6002)))
            if v == "4":
                one("in-udp4-reasm", lambda: u.sendto(pad(3000, 0x71), (dst, 6002)))
                one("in-udp4-reasm-connected", lambda: u.sendto(pad(3000, 0x72), (dst, 6001)))
                ic = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                ic.bind((src, 0))
                keep.append(ic)
                one("in-icmp4-echo", lambda: ic.sendto(
                    icmp(8, 0, struct.pack("!HH", 0xABCD, 1), pad(8)), (dst, 0)))
            else:
                one("in-udp6-frags", lambda: u.sendto(pad(3000, 0x73), (dst, 6002)), count=3,
                    names=["in-udp6-frag1", "in-udp6-frag2", "in-udp6-frag3"])
        os.write(w2, b"Q")                      # server aborts its sockets (RST)
        _, st = os.waitpid(pid, 0)
        if st != 0:
            sys.exit("server failed")
        time.sleep(0.2)
        for k in keep:
            k.close()

    def write(self):
        out = self.args.outdir
        os.makedirs(out, exist_ok=True)
        for n in self.logs:
            with open(os.path.join(out, n + ".log"), "w", encoding="latin-1") as f:
                for line in self.logs[n]:
                    f.write(line + "\n")
            with open(os.path.join(out, n + ".shapes"), "w") as f:
                for s in self.shapes[n]:
                    f.write(s + "\n")
        with open(os.path.join(out, "shapes.txt"), "w") as f:
            f.write("# shape<TAB>description: prerouting shapes (all, noflags, noether, snaplen),"
                    " netdev ingress shapes (ingress, ingress-noflags),"
                    " output-hook shapes (output, output-noflags),"
                    " input-hook shapes (input, input-noflags)\n")
            logged = set(self.shapes["all"]) | set(self.shapes["ingress"])
            for name, desc, pkt, kw in SHAPES:
                if name in logged:
                    f.write("%s\t%s\n" % (name, desc))
            for name, desc, fn in OUT_ACTIONS:
                f.write("%s\t%s\n" % (name, desc))
            for name, desc in IN_DESCRIPTIONS:
                f.write("%s\t%s\n" % (name, desc))
        with open(os.path.join(out, "unreachable.txt"), "w") as f:
            f.write("# shapes sent but never logged at the prerouting hook (dropped earlier)\n")
            for name, desc, expected in self.unreached:
                f.write("%s\t%s%s\n" % (name, desc, "" if expected else "\t(UNEXPECTED)"))
        if self.kmsg.noise:
            print("noise lines (not test traffic):", len(self.kmsg.noise))
            for line in self.kmsg.noise[:20]:
                print("   ", line)
        else:
            print("no noise lines")
        if self.kmsg.other_nfx:
            print("other nfx lines:", self.kmsg.other_nfx[:10])
        if self.reached_despite_drop:
            print("logged although expected to be dropped:", self.reached_despite_drop)


# ------------------------------------------------------------------ input-hook server

CLONE_NEWNET = 0x40000000


def wait_byte(fd, want, timeout=5.0):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        sys.exit("timeout waiting for the server (%r)" % want)
    got = os.read(fd, 1)
    if got != want:
        sys.exit("server said %r, expected %r" % (got, want))


def server_main(ns, wfd, rfd):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    nsfd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(nsfd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    os.setgroups([])
    os.setresgid(SERVER_GID, SERVER_GID, SERVER_GID)
    os.setresuid(SERVER_UID, SERVER_UID, SERVER_UID)
    lst = []
    for fam, addr, peer in ((socket.AF_INET, D4, S4_IN), (socket.AF_INET6, D6, S6_IN)):
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, 6000))
        ls.listen(4)
        lst.append(ls)
        uc = socket.socket(fam, socket.SOCK_DGRAM)
        uc.bind((addr, 6001))
        uc.connect((peer, 46001))
        uu = socket.socket(fam, socket.SOCK_DGRAM)
        uu.bind((addr, 6002))
        lst += [uc, uu]
    listeners = [x for x in lst if x.type == socket.SOCK_STREAM]
    os.write(wfd, b"R")
    conns = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r, _, _ = select.select(listeners + [rfd], [], [], 1.0)
        for x in r:
            if x == rfd:
                os.read(rfd, 1)
                for c in conns:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.close()
                return
            c, _ = x.accept()
            conns.append(c)
            os.write(wfd, b"a")
    raise TimeoutError("server not stopped")


# ------------------------------------------------------------------ output-hook actions
# Each makes exactly one packet leave through the output hook of nfx-send
# (source 10.99.0.3 / fd99::3) from a real socket, and returns the socket (or
# None) to be closed after the packet was logged.

def as_user(uid, gid, fn):
    """Run fn() in a child with the given uid/gid (fsuid/fsgid follow)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            s = fn()
            time.sleep(0.3)                 # keep the socket (and its file) alive
            if s is not None:
                s.close()
            os._exit(0)
        except BaseException as e:         # noqa
            print("child:", e, file=sys.stderr)
            os._exit(1)
    return _Reaper(pid)


class _Reaper:
    def __init__(self, pid):
        self.pid = pid

    def close(self):
        _, st = os.waitpid(self.pid, 0)
        if st != 0:
            sys.exit("child failed")


def udp4(data=b"hello", port=5000, setup=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((S4_SOCK, 41000 + port % 1000))
    if setup:
        setup(s)
    s.sendto(data, (D4, port))
    return s


def udp6(data=b"hello6", port=5000, setup=None):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((S6_SOCK, 42000 + port % 1000))
    if setup:
        setup(s)
    s.sendto(data, (D6, port))
    return s


def tcp_connect(fam, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    if fam == socket.AF_INET:
        s.bind((S4_SOCK, 0))
        dst = (D4, port)
    else:
        s.bind((S6_SOCK, 0))
        dst = (D6, port)
    try:
        s.connect(dst)
    except BlockingIOError:
        pass
    return s        # closed (in SYN_SENT: no RST) after the SYN was logged


def icmp4_echo():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((S4_SOCK, 0))
    s.sendto(icmp(8, 0, struct.pack("!HH", 0xBEEF, 1), bytes(range(16))), (D4, 0))
    return s


def icmp6_echo():
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.bind((S6_SOCK, 0))
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, 0xBEEF, 1) + bytes(range(16)), (D6, 0))
    return s


SO_MARK = 36
IP_OPTIONS = 4
IPV6_TCLASS = 67
IPV6_HOPOPTS = 54

OUT_ACTIONS = [
    ("out-udp4", "UDP from a root socket",
     lambda: udp4()),
    ("out-udp4-uid", "UDP from a socket of uid 1234 gid 5678",
     lambda: as_user(1234, 5678, lambda: udp4(port=5001))),
    ("out-udp4-somark", "UDP with SO_MARK 0x2a",
     lambda: udp4(port=5002, setup=lambda s: s.setsockopt(socket.SOL_SOCKET, SO_MARK, 0x2A))),
    ("out-udp4-tos-ttl", "UDP with IP_TOS 0xb8 and IP_TTL 7",
     lambda: udp4(port=5003, setup=lambda s: (s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xB8),
                                              s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 7)))),
    ("out-udp4-ipopt", "UDP with IP_OPTIONS: NOP + record route (3 slots)",
     lambda: udp4(port=5004, setup=lambda s: s.setsockopt(
         socket.IPPROTO_IP, IP_OPTIONS, bytes([1, 7, 15, 4]) + bytes(12)))),
    ("out-udp4-big", "UDP with 3000 bytes (seen whole before fragmentation)",
     lambda: udp4(data=pad(3000, 0x55), port=5005)),
    ("out-tcp4-syn", "TCP SYN of a real connect() (kernel options, DF)",
     lambda: tcp_connect(socket.AF_INET, 5006)),
    ("out-tcp4-syn-uid", "TCP SYN of connect() by uid 1234 gid 5678",
     lambda: as_user(1234, 5678, lambda: tcp_connect(socket.AF_INET, 5007))),
    ("out-icmp4-echo", "ICMP echo request from a raw socket",
     lambda: icmp4_echo()),
    ("out-udp6", "IPv6 UDP from a root socket",
     lambda: udp6()),
    ("out-udp6-uid", "IPv6 UDP from uid 1234 gid 5678",
     lambda: as_user(1234, 5678, lambda: udp6(port=5011))),
    ("out-udp6-tclass-hops", "IPv6 UDP with IPV6_TCLASS 0xb8, unicast hops 9",
     lambda: udp6(port=5012, setup=lambda s: (
         s.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, 0xB8),
         s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 9)))),
    ("out-udp6-hbh", "IPv6 UDP with a hop-by-hop header (PadN) via IPV6_HOPOPTS",
     lambda: udp6(port=5013, setup=lambda s: s.setsockopt(
         socket.IPPROTO_IPV6, IPV6_HOPOPTS, bytes([0, 0]) + PADN4))),
    ("out-udp6-somark", "IPv6 UDP with SO_MARK 0x2a",
     lambda: udp6(port=5014, setup=lambda s: s.setsockopt(socket.SOL_SOCKET, SO_MARK, 0x2A))),
    ("out-udp6-big", "IPv6 UDP with 3000 bytes (seen whole before fragmentation)",
     lambda: udp6(data=pad(3000, 0x66), port=5015)),
    ("out-tcp6-syn", "IPv6 TCP SYN of a real connect()",
     lambda: tcp_connect(socket.AF_INET6, 5016)),
    ("out-icmp6-echo", "ICMPv6 echo request from a raw socket",
     lambda: icmp6_echo()),
]


IN_DESCRIPTIONS = [
    ("in-tcp4-syn", "SYN to a listening socket: no socket on the skb yet, no UID"),
    ("in-tcp4-handshake-ack", "handshake ACK: early demux finds a request socket (not full): no UID"),
    ("in-tcp4-data", "data on an accept()ed connection: early demux, UID/GID of the server"),
    ("in-tcp4-fin", "FIN on the accept()ed connection"),
    ("in-udp4-connected", "UDP to a connected socket: early demux, UID/GID of the server"),
    ("in-udp4-unconnected", "UDP to a bound, unconnected socket: no UID"),
    ("in-udp4-reasm", "3000-byte UDP, reassembled before the input hook (one line, LEN=3028)"),
    ("in-udp4-reasm-connected", "3000-byte UDP, reassembled, to the connected socket"),
    ("in-icmp4-echo", "ICMP echo request to the server address"),
    ("in-tcp6-syn", "IPv6 SYN to a listening socket"),
    ("in-tcp6-handshake-ack", "IPv6 handshake ACK (request socket)"),
    ("in-tcp6-data", "IPv6 data on an accept()ed connection (UID/GID)"),
    ("in-tcp6-fin", "IPv6 FIN"),
    ("in-udp6-connected", "IPv6 UDP to a connected socket (UID/GID)"),
    ("in-udp6-unconnected", "IPv6 UDP to an unconnected socket"),
    ("in-udp6-frag1", "IPv6 3000-byte UDP: first fragment (IPv6 reassembles after the hook)"),
    ("in-udp6-frag2", "IPv6 3000-byte UDP: second fragment"),
    ("in-udp6-frag3", "IPv6 3000-byte UDP: last fragment"),
]


# ------------------------------------------------------------------ verify

def verify(d):
    """Independent re-check of a fixture directory."""
    ok = True
    groups = {"all": 1, "noflags": 2, "snaplen": 3, "noether": 4, "output": 5,
              "output-noflags": 6, "ingress": 7, "ingress-noflags": 8, "input": 9,
              "input-noflags": 10}
    prefixes = {v: k for k, v in ALL_PREFIXES.items()}
    payloads = {}
    for n, g in groups.items():
        recs = read_pcap(os.path.join(d, n + ".pcap"))
        with open(os.path.join(d, n + ".log"), encoding="latin-1") as f:
            lines = f.read().split("\n")[:-1]
        with open(os.path.join(d, n + ".shapes")) as f:
            shapes = f.read().split()
        if not (len(recs) == len(lines) == len(shapes)):
            print("%s: counts differ %d %d %d" % (n, len(recs), len(lines), len(shapes)))
            ok = False
            continue
        payloads[n] = []
        for i, (rec, line) in enumerate(zip(recs, lines)):
            fam, grp, tlvs = nflog_tlvs(rec[4])
            pre = tlvs[NFULA_PREFIX][0].rstrip(b"\0").decode()
            pl = tlvs.get(NFULA_PAYLOAD, [b""])[0]
            payloads[n].append(pl)
            if grp != g or pre != prefixes[n] or not line.startswith(pre):
                print("%s[%d]: group/prefix mismatch" % (n, i))
                ok = False
            if len(pl) >= 20 and pl[0] >> 4 == 4:
                src = socket.inet_ntop(socket.AF_INET, pl[12:16])
                dst = socket.inet_ntop(socket.AF_INET, pl[16:20])
                if " SRC=%s DST=%s " % (src, dst) not in line:
                    print("%s[%d] %s: address mismatch" % (n, i, shapes[i]))
                    ok = False
            elif len(pl) >= 40 and pl[0] >> 4 == 6:
                src = pl[8:24].hex()
                full = ":".join(src[j:j + 4] for j in range(0, 32, 4))
                if " SRC=%s " % full not in line:
                    print("%s[%d] %s: address mismatch" % (n, i, shapes[i]))
                    ok = False
            if len(line) > 900:
                print("%s[%d]: line of %d chars (printk may truncate)" % (n, i, len(line)))
                ok = False
    for n in ("noflags", "snaplen", "noether"):
        if payloads.get(n) is None or payloads.get("all") is None:
            continue
        for i, (a, b) in enumerate(zip(payloads["all"], payloads[n])):
            if (a[:SNAPLEN] if n == "snaplen" else a) != b:
                print("%s[%d]: payload differs from all[%d]" % (n, i, i))
                ok = False
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capdir")
    ap.add_argument("--outdir")
    ap.add_argument("--mac-send")
    ap.add_argument("--mac-recv")
    ap.add_argument("--recv-ns", default="nfx-recv")
    ap.add_argument("--verify")
    args = ap.parse_args()
    build_shapes()
    only = os.environ.get("NFX_ONLY")          # debugging: regex of shapes to run
    if only:
        import re
        SHAPES[:] = [x for x in SHAPES if re.search(only, x[0])]
        OUT_ACTIONS[:] = [x for x in OUT_ACTIONS if re.search(only, x[0])]
    if args.verify:
        sys.exit(0 if verify(args.verify) else 1)
    cap = Capture(args)
    print("prerouting shapes:")
    cap.run_frames("pre")
    print("netdev ingress shapes:")
    cap.run_frames("ingress")
    print("output-hook shapes:")
    cap.run_out()
    print("input-hook shapes:")
    cap.run_in()
    time.sleep(0.5)
    cap.check_quiet("at the end")
    cap.write()


if __name__ == "__main__":
    main()
