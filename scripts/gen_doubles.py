#!/usr/bin/env python3
"""Decimal spellings of doubles for the number scanner's property test, one per line.

Usage: gen_doubles.py N SEED > out.txt  (prints about N lines)
Mix: Python repr of random bit patterns (every exponent, ±308, subnormals), random.random() values
scaled like losses / learning rates, neighbours of 2^53, exact halfway points between adjacent doubles
printed with 17, 18, 19 significant digits and in full, and %.16e / %.17g / %.18g / %.19g spellings.
"""
import math
import random
import struct
import sys
from decimal import Decimal, getcontext

getcontext().prec = 800
n = int(sys.argv[1])
rnd = random.Random(int(sys.argv[2]))
out = []
w = out.append


def f64(bits):
    return struct.unpack('<d', struct.pack('<Q', bits))[0]


def finite_random():
    while True:
        x = f64(rnd.getrandbits(64))
        if math.isfinite(x):
            return x


per = n // 8
for _ in range(per * 3):  # repr of random bit patterns: all exponents
    w(repr(finite_random()))
for _ in range(per * 2):  # like a training log: losses, lrs, grad norms
    x = rnd.random() * 10 ** rnd.randint(-8, 4)
    w(repr(x if rnd.random() < 0.8 else -x))
for _ in range(per // 4):  # subnormals and the smallest normals
    w(repr(f64(rnd.getrandbits(52) | (rnd.randint(0, 1) << 52))))
two53 = 2 ** 53
for k in range(-64, 65):  # 2^53 neighbours, as integers, floats and with exponents
    w(str(two53 + k))
    w(repr(float(two53 + k)))
    w('%.17e' % float(two53 + k))
for _ in range(per):  # halfway between adjacent doubles, exactly and cut to 17..19 digits
    x = abs(finite_random())
    if x == 0 or x == math.inf:
        continue
    mid = (Decimal(x) + Decimal(math.nextafter(x, math.inf))) / 2
    if not mid.is_finite():
        continue
    s = '%.40e' % mid if rnd.random() < 0.1 else None
    for d in (17, 18, 19):
        w(format(mid, '.%de' % (d - 1)))
    w(s or format(mid, 'e'))
for _ in range(per // 2):  # other printf spellings
    x = finite_random()
    w(('%.16e', '%.17g', '%.18g', '%.19g')[rnd.randint(0, 3)] % x)
for _ in range(per // 4):  # exponents near ±308
    m = rnd.random() * 9 + 1
    w('%.16fe%d' % (m, rnd.choice((308, 307, -307, -308, -309, -320, -323, -324))))
sys.stdout.write('\n'.join(out) + '\n')
