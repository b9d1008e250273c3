#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz harnesses (fuzz/corpus/<harness>/).

    node bin/autosnn.js probes --out /tmp/p --format firmware     # small valid images
    python3 firmware-bridge/firmware/fuzz/make_seeds.py /tmp/p

image/    probe images as they are
frames/   a piece-size byte, then framed requests: Hello, Write, Commit, Run, Read, Measure
session/  operation lists for fuzz_session.c: load an image, run it, read, measure, retry
"""
import os, sys, zlib

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)

def field(tag, wt, v):
    key = varint((tag << 3) | wt)
    return key + (varint(v) if wt == 0 else varint(len(v)) + v)

def cobs(data):
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1); out += block; block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255); out += block; block = bytearray()
    out.append(len(block) + 1); out += block
    return bytes(out)

def frame(msg):
    return cobs(msg + zlib.crc32(msg).to_bytes(4, 'little')) + b'\0'

def request(seq, tag, body): return field(1, 0, seq) + field(tag, 2, body)
def u16(v): return v.to_bytes(2, 'little')
def u32(v): return v.to_bytes(4, 'little')

def main():
    probes = sys.argv[1] if len(sys.argv) > 1 else '/tmp/p'
    here = os.path.dirname(os.path.abspath(__file__))
    def put(harness, name, data):
        d = os.path.join(here, 'corpus', harness); os.makedirs(d, exist_ok=True)
        open(os.path.join(d, name), 'wb').write(data)

    images = {n: open(os.path.join(probes, n + '.bin'), 'rb').read()
              for n in ('null-short', 'spikes-every-2nd', 'ac-k3', 'fanout-4')}
    for n, b in images.items():
        put('image', n + '.bin', b)

    img = images['null-short']
    T = int.from_bytes(img[16:18], 'little')
    shape = [int.from_bytes(img[24 + 4 * i:28 + 4 * i], 'little') for i in range(3)]
    size = shape[0] * shape[1] * shape[2]
    inp = bytes((i * 7) % 3 for i in range(size))
    hello = request(1, 2, field(1, 0, 1))
    write = request(2, 3, field(2, 0, len(img)) + field(4, 2, img[:1024]) + field(5, 0, zlib.crc32(img[:1024])))
    put('frames', 'hello', b'\x3f\0' + frame(hello))
    put('frames', 'hello-write', b'\x07\0' + frame(hello) + frame(write))
    msgs = [hello]
    seq = 2
    for off in range(0, len(img), 1024):
        chunk = img[off:off + 1024]
        msgs.append(request(seq, 3, field(2, 0, len(img)) + (field(3, 0, off) if off else b'') +
                            field(4, 2, chunk) + field(5, 0, zlib.crc32(chunk)))); seq += 1
    msgs.append(request(seq, 4, field(1, 0, len(img)) + field(2, 0, zlib.crc32(img)))); seq += 1
    msgs.append(request(seq, 3, field(1, 0, 1) + field(2, 0, len(inp)) + field(4, 2, inp) + field(5, 0, zlib.crc32(inp)))); seq += 1
    msgs.append(request(seq, 6, field(2, 0, T) + field(4, 0, len(inp)) + field(5, 0, zlib.crc32(inp)))); seq += 1
    msgs.append(request(seq, 7, field(2, 0, 256))); seq += 1
    msgs.append(request(seq, 8, b''))
    put('frames', 'session', b'\x3f\0' + b''.join(frame(m) for m in msgs))

    def load(b): return bytes([3]) + u16(len(b)) + b
    def run(first, steps, fmt, data): return bytes([5]) + u16(first) + u16(steps) + bytes([fmt]) + u16(len(data)) + data
    read = bytes([6]) + u32(0) + u16(1024)
    measure = bytes([7])
    for n in ('null-short', 'spikes-every-2nd', 'ac-k3'):
        b = images[n]
        T = int.from_bytes(b[16:18], 'little')
        shape = [int.from_bytes(b[24 + 4 * i:28 + 4 * i], 'little') for i in range(3)]
        frame_in = bytes((i * 5) % 3 for i in range(shape[0] * shape[1] * shape[2]))
        put('session', n, load(b) + run(0, T, 0, frame_in) + read + measure)
    b = images['spikes-every-2nd']
    T = int.from_bytes(b[16:18], 'little')
    frame_in = bytes(512)
    # split run, retries (bit 7), a spoiled checksum (bit 6), byte-wise delivery (bit 5)
    put('session', 'continuation-retry', load(b) + run(0, 2, 0, frame_in) + bytes([0x85]) + u16(2) + u16(2) + b'\0' + u16(0) +
        bytes([0x04]) + bytes([0x84]) + bytes([0x46]) + u32(0) + u16(64) + bytes([0x27]) + bytes([0x08]) + u16(len(hello)) + hello)
    put('session', 'garbage', bytes([9]) + u16(8) + b'\x05\x01\x02\x00\x03\x04\xff\xfe' + bytes([0x20]) + b'\x01')

if __name__ == '__main__':
    main()
