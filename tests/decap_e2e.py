# SPDX-License-Identifier: GPL-2.0
# Helper of tests/t_decap_e2e.sh, run inside the test's namespaces:
#   serve PORT ADDR...            answer every TCP connection with "hello from backend\n"
#   tunnel IFACE DST_MAC KIND OUTER_SRC OUTER_DST INNER_SRC INNER_DST PORT
#                                 send a hand-made tunnelled SYN (KIND: ipip 6in4 4in6 ip6ip6)
#                                 and wait for the SYN-ACK; prints its source MAC
#   csum-off IFACE                turn off IFACE's TX checksum offload (see cmd_csum_off)
#   connect IFACE VIP PORT        connect to VIP:PORT, read the banner, and report the source MAC
#                                 of the SYN-ACK as captured on IFACE
#   udp-hold VIP PORT PEER PPORT SECONDS
#                                 a UDP socket VIP:PORT connected to PEER:PPORT, held open (the
#                                 flow an ICMP error about its reply belongs to)
#   ptb VIP PORT CLIENT CPORT MTU act as a router on the way back: send VIP an ICMP "too big"
#                                 quoting a UDP reply VIP:PORT -> CLIENT:CPORT
# Exits 0 on success, 1 when what was expected did not come within the timeout.
import os
import select
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
TIMEOUT = 3.0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ip_header(src, dst, proto, payload):
    if fam(src) == socket.AF_INET6:
        return struct.pack("!IHBB", 0x60000000, len(payload), proto, 64) + \
            socket.inet_pton(fam(src), src) + socket.inet_pton(fam(dst), dst)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def tcp_syn(src, dst, sport, dport):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
    a, b = socket.inet_pton(fam(src), src), socket.inet_pton(fam(dst), dst)
    if fam(src) == socket.AF_INET6:
        pseudo = a + b + struct.pack("!IxxxB", len(tcp), 6)
    else:
        pseudo = a + b + struct.pack("!xBH", 6, len(tcp))
    c = csum(pseudo + tcp)
    return tcp[:16] + struct.pack("!H", c) + tcp[18:]


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def parse_synack(frame):
    """(src_mac, src_ip, sport, dst_ip, dport) of a TCP SYN-ACK frame, else None."""
    if len(frame) < 14:
        return None
    et = struct.unpack("!H", frame[12:14])[0]
    if et == 0x0800 and len(frame) >= 34:
        ihl = (frame[14] & 0xF) * 4
        if frame[23] != 6:
            return None
        src, dst = socket.inet_ntop(socket.AF_INET, frame[26:30]), \
            socket.inet_ntop(socket.AF_INET, frame[30:34])
        l4 = 14 + ihl
    elif et == 0x86DD and len(frame) >= 54:
        if frame[20] != 6:
            return None
        src, dst = socket.inet_ntop(socket.AF_INET6, frame[22:38]), \
            socket.inet_ntop(socket.AF_INET6, frame[38:54])
        l4 = 54
    else:
        return None
    if len(frame) < l4 + 14:
        return None
    sport, dport = struct.unpack("!HH", frame[l4:l4 + 4])
    if frame[l4 + 13] & 0x12 != 0x12:
        return None
    return mac_str(frame[6:12]), src, sport, dst, dport


def wait_synack(sock, src_ip, sport, dport=None, deadline=None):
    deadline = deadline or time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        frame, addr = sock.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = parse_synack(frame)
        if p and p[1] == src_ip and p[2] == sport and (dport is None or p[4] == dport):
            return p
    return None


def cmd_serve(port, addrs):
    socks = []
    for a in addrs:
        s = socket.socket(fam(a), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        s.listen(16)
        socks.append(s)
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            c, _ = s.accept()
            c.sendall(b"hello from backend\n")
            c.close()


def cmd_tunnel(iface, dst_mac, kind, osrc, odst, isrc, idst, port):
    sport = 40000 + os.getpid() % 20000
    inner = tcp_syn(isrc, idst, sport, port)
    inner = ip_header(isrc, idst, 6, inner) + inner
    proto = 41 if fam(isrc) == socket.AF_INET6 else 4
    outer = ip_header(osrc, odst, proto, inner) + inner
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    my_mac = s.getsockname()[4]
    et = 0x86DD if fam(osrc) == socket.AF_INET6 else 0x0800
    s.send(mac_bytes(dst_mac) + my_mac + struct.pack("!H", et) + outer)
    p = wait_synack(s, idst, port, sport)
    if not p:
        print("no SYN-ACK from %s:%d" % (idst, port))
        return 1
    print("synack_mac=%s src=%s" % (p[0], p[1]))
    return 0


def cmd_connect(iface, vip, port):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    seen = []
    done = threading.Event()

    def sniff():  # every SYN-ACK from VIP:PORT until the connection is over
        while not done.is_set():
            r, _, _ = select.select([s], [], [], 0.1)
            if r:
                frame, addr = s.recvfrom(65535)
                p = parse_synack(frame)
                if addr[2] != socket.PACKET_OUTGOING and p and p[1] == vip and p[2] == port:
                    seen.append(p)

    t = threading.Thread(target=sniff)
    t.start()
    banner, lport = b"", None
    try:
        with socket.create_connection((vip, port), timeout=TIMEOUT) as c:
            lport = c.getsockname()[1]
            c.settimeout(TIMEOUT)
            while not banner.endswith(b"\n"):
                d = c.recv(100)
                if not d:
                    break
                banner += d
    except OSError as e:
        print("connect %s:%d: %s" % (vip, port, e))
    time.sleep(0.2)
    done.set()
    t.join()
    macs = sorted({p[0] for p in seen if p[4] == lport})
    print("banner=%r synack_mac=%s" % (banner.decode(errors="replace").strip(),
                                       ",".join(macs) or None))
    return 0 if banner == b"hello from backend\n" and len(macs) == 1 else 1


def cmd_csum_off(iface):
    """A veth sender leaves TCP checksums partial (CHECKSUM_PARTIAL); the edge's native XDP
    turns the skb into a raw frame and XDP_TX loses the "finish me" mark, so the backend would
    see a bad checksum. A NIC on a wire always sends them whole; make the veth do the same
    (ethtool -K IFACE tx off, without needing ethtool)."""
    import array
    import fcntl
    SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
    ev = array.array("I", [ETHTOOL_STXCSUM, 0])
    ifr = struct.pack("16sP", iface.encode(), ev.buffer_info()[0]).ljust(40, b"\0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCETHTOOL, ifr)
    return 0


def cmd_udp_hold(vip, port, peer, pport, seconds):
    s = socket.socket(fam(vip), socket.SOCK_DGRAM)
    s.bind((vip, port))
    s.connect((peer, pport))
    print("holding", flush=True)
    time.sleep(seconds)
    return 0


def cmd_ptb(vip, port, client, cport, mtu):
    payload = b"x" * 32
    udp = struct.pack("!HHHH", port, cport, 8 + len(payload), 0) + payload
    quote = ip_header(vip, client, 17, udp) + udp
    if fam(vip) == socket.AF_INET6:
        # ICMPv6 raw sockets: the kernel fills in the checksum
        msg = struct.pack("!BBHI", 2, 0, 0, mtu) + quote
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.sendto(msg, (vip, 0))
    else:
        msg = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote
        msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.sendto(msg, (vip, 0))
    return 0


def main(argv):
    if argv[1] == "serve":
        return cmd_serve(int(argv[2]), argv[3:])
    if argv[1] == "tunnel":
        return cmd_tunnel(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], argv[8],
                          int(argv[9]))
    if argv[1] == "csum-off":
        return cmd_csum_off(argv[2])
    if argv[1] == "connect":
        return cmd_connect(argv[2], argv[3], int(argv[4]))
    if argv[1] == "udp-hold":
        return cmd_udp_hold(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]))
    if argv[1] == "ptb":
        return cmd_ptb(argv[2], int(argv[3]), argv[4], int(argv[5]), int(argv[6]))
    print("unknown command", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
