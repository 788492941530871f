#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Doctored GPS captures for the driver tests (tests/system/test_gpsd.sh,
tests/system/test_nmea_serial.sh), and re-dating of any NMEA capture.

  gpsdoctor.py make OUTDIR          write the doctored captures (committed in tests/data/gps/)
  gpsdoctor.py redate IN OUT EPOCH  shift every time and date so the first fix names
                                    Unix second EPOCH; checksums recomputed

The captures repeat one real cycle of a stationary u-blox LEA-5H (gpsd's
regression capture ublox-lea-5h.log, 2010-08-21 08:55:16, Rotterdam;
BSD-2-Clause) for CYCLES seconds: RMC, GGA, GSA and four GSV, seven sentences
a second (replay them with gpsfake -c 0.142857 to pace one cycle a second).
Each doctored variant breaks one thing a spoofer breaks:

  honest.log         the cycle with small natural variation (signal +-1 dB-Hz, position centimetres)
  snr-identical.log  every tracked satellite at 42 dB-Hz (a single-antenna simulator)
  strong.log         signals at 63-71 dB-Hz (a transmitter next to the antenna)
  walk.log           from the 9th second the position walks north 25 m a second (a fixed station moving)
  timejump.log       time jumps 3 s ahead at the 11th second and 2 s back at the 16th
  nosats.log         a 3D fix (GSA mode 3, GGA quality 1 and 8 satellites) with no satellite in GSA's list
"""
import math
import sys
from datetime import datetime, timedelta, timezone

CYCLES = 18
BASE = datetime(2010, 8, 21, 8, 55, 16, tzinfo=timezone.utc)
LAT, LON = 51 + 55.55350 / 60, 4 + 34.65733 / 60
# (PRN, elevation, azimuth, SNR or None), used PRNs: as the receiver reported
SATS = [(8, 4, 82, 17), (9, 51, 276, 43), (11, 1, 43, None), (12, 11, 215, 29), (15, 73, 189, 40),
        (17, 30, 99, 25), (18, 33, 285, 39), (22, 17, 319, 38), (24, 3, 335, None), (26, 46, 142, None),
        (27, 69, 284, 44), (28, 32, 52, 30), (33, 28, 204, 38)]
USED = [15, 27, 9, 28, 18, 17, 22, 12]


def cks(body):
    c = 0
    for ch in body:
        c ^= ord(ch)
    return "$%s*%02X" % (body, c)


def latlon(lat, lon):
    la, lo = abs(lat), abs(lon)
    return ("%02d%08.5f" % (int(la), (la - int(la)) * 60), "N" if lat >= 0 else "S",
            "%03d%08.5f" % (int(lo), (lo - int(lo)) * 60), "E" if lon >= 0 else "W")


def cycle(t, lat, lon, sats, used, quality=1):
    hms = t.strftime("%H%M%S") + ".00"
    dmy = t.strftime("%d%m%y")
    la, ns, lo, ew = latlon(lat, lon)
    out = [cks("GPRMC,%s,A,%s,%s,%s,%s,0.050,,%s,,,A" % (hms, la, ns, lo, ew, dmy)),
           cks("GPGGA,%s,%s,%s,%s,%s,%d,%02d,1.00,2.0,M,46.0,M,," % (hms, la, ns, lo, ew, quality, len(used) or 8)),
           cks("GPGSA,A,3,%s,1.69,1.00,1.37" % ",".join(["%02d" % p for p in used] + [""] * (12 - len(used))))]
    n = len(sats)
    pages = max(1, (n + 3) // 4)
    for p in range(pages):
        f = []
        for prn, el, az, snr in sats[4 * p:4 * p + 4]:
            f.append("%02d,%02d,%03d,%s" % (prn, el, az, "" if snr is None else "%02d" % snr))
        out.append(cks("GPGSV,%d,%d,%02d,%s" % (pages, p + 1, n, ",".join(f))))
    return out


def make(outdir):
    variants = {}
    for name in ("honest", "snr-identical", "strong", "walk", "timejump", "nosats"):
        lines = ["# Doctored from gpsd's ublox-lea-5h.log (u-blox LEA-5H, Rotterdam, 2010-08-21): %s" % name,
                 "# Made by tests/data/gps/gpsdoctor.py; replay with gpsfake -c 0.142857 (7 sentences a second)"]
        t = BASE
        for i in range(CYCLES):
            # natural variation: +-1 dB-Hz, centimetres of position noise
            sats = [(p, e, a, None if s is None else s + ((i * 7 + p) % 3) - 1) for p, e, a, s in SATS]
            lat = LAT + ((i * 13) % 5 - 2) * 1e-7
            lon = LON + ((i * 17) % 5 - 2) * 1e-7
            used, quality = USED, 1
            if name == "snr-identical":
                sats = [(p, e, a, None if s is None else 42) for p, e, a, s in sats]
            elif name == "strong":
                sats = [(p, e, a, None if s is None else 63 + (p % 9)) for p, e, a, s in sats]
            elif name == "walk" and i >= 8:
                lat += (i - 7) * 25.0 / 111195.0
            elif name == "timejump":
                if i == 10:
                    t += timedelta(seconds=3)
                elif i == 15:
                    t -= timedelta(seconds=2)
            elif name == "nosats":
                used = []
            lines += cycle(t, lat, lon, sats, used, quality)
            t += timedelta(seconds=1)
        with open("%s/%s.log" % (outdir, name), "w") as f:
            f.write("".join(l + ("\r\n" if l.startswith("$") else "\n") for l in lines))


def redate(src, dst, epoch):
    """Shift RMC/GGA/GLL/ZDA times and dates by one delta: the first fix
    names `epoch`. Sentences without a time pass unchanged."""
    lines = open(src, encoding="latin-1").read().splitlines()
    delta = None
    first_date = None
    out = []
    for line in lines:
        s = line.strip()
        if not s.startswith("$") or "*" not in s:
            out.append(line)
            continue
        body = s[1:s.index("*")]
        f = body.split(",")
        kind = f[0][2:]
        tidx = {"RMC": 1, "GGA": 1, "GLL": 5, "ZDA": 1, "GNS": 1}.get(kind)
        if kind == "RMC" and len(f) > 9 and len(f[9]) == 6:
            first_date = first_date or f[9]
        if tidx is None or len(f) <= tidx or len(f[tidx]) < 6:
            out.append(line)
            continue
        hms = f[tidx]
        d = None
        if kind == "RMC" and len(f) > 9 and len(f[9]) == 6:
            d = datetime.strptime(f[9], "%d%m%y")
        elif kind == "ZDA" and len(f) > 4 and f[2] and f[3] and f[4]:
            d = datetime(int(f[4]), int(f[3]), int(f[2]))
        else:
            d = datetime.strptime(first_date, "%d%m%y") if first_date else datetime(2010, 8, 21)
        t = d.replace(hour=int(hms[0:2]), minute=int(hms[2:4]), second=int(hms[4:6]), tzinfo=timezone.utc)
        if delta is None:
            delta = datetime.fromtimestamp(epoch, timezone.utc) - t
        n = t + delta
        f[tidx] = n.strftime("%H%M%S") + hms[6:]
        if kind == "RMC" and len(f) > 9 and len(f[9]) == 6:
            f[9] = n.strftime("%d%m%y")
        if kind == "ZDA" and len(f) > 4 and f[2]:
            f[2], f[3], f[4] = n.strftime("%d"), n.strftime("%m"), n.strftime("%Y")
        out.append(cks(",".join(f)))
    with open(dst, "w", encoding="latin-1") as fo:
        fo.write("".join(l + "\r\n" if l.startswith("$") else l + "\n" for l in out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "redate":
        redate(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)
