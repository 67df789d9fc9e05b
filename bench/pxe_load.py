#!/usr/bin/env python3
"""Load for bench/pxe.sh (bounded in count and time; 127.0.0.1 only, run inside the bench's namespaces).

  pxe_load.py dhcp COUNT WINDOW        ProxyDHCP boot-server requests (UDP 4011, answered to the sender):
                                       answers per second, p50 and p99 in ms, unanswered
  pxe_load.py tftp FILE BLKSIZE WINDOW one TFTP read (RFC 1350/2347/2348/7440): seconds and MB/s
  pxe_load.py storm CLIENTS THREADS HTTP_PORT FILE
                                       CLIENTS boots of DHCP -> TFTP FILE -> GET /ipxe-generic, THREADS at once:
                                       p50/p99 per phase and of the whole sequence, failures
"""
import socket, struct, sys, time, threading

HOST = '127.0.0.1'
DEADLINE = time.monotonic() + 600          # no run of this helper outlives ten minutes


def request(xid, mac):
    # RFC 2131 figure 1: a DHCPREQUEST from an x86-64 UEFI PXE client to the boot server port
    p = struct.pack('!BBBBIHH', 1, 1, 6, 0, xid, 0, 0) + socket.inet_aton(HOST) + b'\0' * 12
    p += mac + b'\0' * 10 + b'\0' * 192 + bytes.fromhex('63825363') + bytes([53, 1, 3])
    vc = b'PXEClient:Arch:00007:UNDI:003000'
    p += bytes([60, len(vc)]) + vc + bytes([93, 2, 0, 7]) + b'\xff'
    return p


def mac_of(i):
    return bytes([0x52, 0x54, 0x00, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float('nan')


def dhcp(count, window):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((HOST, 0))
    s.settimeout(1.0)
    sent_at, latencies, sent = {}, [], 0
    start = time.monotonic()
    while (sent < count or sent_at) and time.monotonic() < DEADLINE:
        while sent < count and len(sent_at) < window:
            sent += 1
            sent_at[sent] = time.monotonic()
            s.sendto(request(sent, mac_of(sent)), (HOST, 4011))
        try:
            data = s.recv(1500)
        except socket.timeout:
            break                                   # what is still outstanding was not answered
        xid = struct.unpack('!I', data[4:8])[0]
        if xid in sent_at:
            latencies.append((time.monotonic() - sent_at.pop(xid)) * 1000)
    elapsed = time.monotonic() - start - (1.0 if sent_at else 0)
    print(f'{len(latencies) / elapsed:.0f} {pct(latencies, 0.5):.3f} {pct(latencies, 0.99):.3f} {len(sent_at)}')


def tftp_read(name, blksize, window, timeout=5.0):
    """Bytes of NAME, reading WINDOW blocks per ACK; raises on an error packet or silence."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    s.settimeout(timeout)
    opts = b'blksize\0%d\0' % blksize + (b'windowsize\0%d\0' % window if window > 1 else b'')
    s.sendto(b'\0\1' + name.encode() + b'\0octet\0' + opts, (HOST, 69))
    data, peer = s.recvfrom(65536)
    size, win, out, block = 512, 1, bytearray(), 0
    if data[1] == 6:                                # OACK: what the server accepted (RFC 2347)
        fields = data[2:].split(b'\0')
        o = dict(zip(fields[0::2], fields[1::2]))
        size, win = int(o.get(b'blksize', 512)), int(o.get(b'windowsize', 1))
        s.sendto(b'\0\4\0\0', peer)
        data = s.recv(65536)
    elif blksize != 512:
        raise RuntimeError('no OACK')
    while True:
        if data[1] == 5:
            raise RuntimeError('error packet: ' + data[4:-1].decode(errors='replace'))
        got = struct.unpack('!H', data[2:4])[0]
        if got == (block + 1) & 0xffff:
            block += 1
            out += data[4:]
            last = len(data) - 4 < size
            if last or block % win == 0:
                s.sendto(struct.pack('!HH', 4, block & 0xffff), peer)
            if last:
                return bytes(out)
        data = s.recv(65536)


def tftp(name, blksize, window):
    start = time.monotonic()
    data = tftp_read(name, blksize, window)
    elapsed = time.monotonic() - start
    print(f'{elapsed:.4f} {len(data) / elapsed / 1e6:.1f}')


def storm(clients, threads, http_port, name):
    phases = {'dhcp': [], 'tftp': [], 'script': [], 'total': []}
    failures, lock, next_client = [], threading.Lock(), [0]

    def boot(i):
        t0 = time.monotonic()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((HOST, 0))
        s.settimeout(5)
        s.sendto(request(i, mac_of(0x800000 + i)), (HOST, 4011))
        reply = s.recv(1500)
        s.close()
        url = reply[108:236].split(b'\0')[0]
        t1 = time.monotonic()
        tftp_read(name, 1468, 8)
        t2 = time.monotonic()
        with socket.create_connection((HOST, http_port), timeout=10) as h:
            h.sendall(b'GET /ipxe-generic HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')
            answer = b''
            while chunk := h.recv(65536):
                answer += chunk
        if not answer.startswith(b'HTTP/1.1 200') or not url:
            raise RuntimeError(f'script: {answer[:40]!r}, boot file {url!r}')
        t3 = time.monotonic()
        return t1 - t0, t2 - t1, t3 - t2, t3 - t0

    def worker():
        while time.monotonic() < DEADLINE:
            with lock:
                if next_client[0] >= clients:
                    return
                next_client[0] += 1
                i = next_client[0]
            try:
                times = boot(i)
                with lock:
                    for key, value in zip(phases, times):
                        phases[key].append(value * 1000)
            except Exception as e:                  # noqa: BLE001 - every failure is counted and shown
                with lock:
                    failures.append(str(e))

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - start
    for key, values in phases.items():
        print(f'{key:6} p50 {pct(values, 0.5):7.1f} ms  p99 {pct(values, 0.99):7.1f} ms')
    print(f'{len(phases["total"])} boots in {elapsed:.1f} s, {len(failures)} failed' + (f' (first: {failures[0]})' if failures else ''))


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'dhcp':
        dhcp(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == 'tftp':
        tftp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        storm(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
