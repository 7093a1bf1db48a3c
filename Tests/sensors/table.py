#!/usr/bin/python3
"""A simulated inversion table with an accelerometer on its frame: writes a fake Linux IIO
tree (the kernel's /sys/bus/iio/devices layout) and moves the table's angle over time, with
sensor noise and a person's movement, until killed or its program ends.

usage: table.py ROOT [--name mpu6050] [--mount flat|rail] [--scale 0.000598]
                [--program "0:-85 3:-85 9:30 ..."] [--noise 0.004] [--sway 0.5] [--rate 50]
                [--unplug T1-T2] [--garbage T1-T2] [--range T1-T2] [--control FILE]

ROOT gets iio:device0/ with name, in_accel_{x,y,z}_raw, in_accel_scale. The angle is in the
plans' degrees (0 level, 90 hanging straight down, -90 standing), keyframes "SECONDS:ANGLE"
joined by straight lines. --control FILE: when it holds a number, the table goes there at
10 degrees a second (a person on the table, driven by a test). Files are replaced whole
(written beside and renamed), so a reader never sees half a number. --mount rail: the board
on the side rail (its axes not the table's), which only a calibration can undo."""
import argparse, math, os, random, shutil, sys, time

p = argparse.ArgumentParser()
p.add_argument("root")
p.add_argument("--name", default="mpu6050")
p.add_argument("--mount", default="flat", choices=["flat", "rail"])
p.add_argument("--scale", type=float, default=0.000598)  # m/s2 per LSB: an MPU-6050 at +-2 g
p.add_argument("--program", default="0:-85")
p.add_argument("--noise", type=float, default=0.004, help="sensor noise, in g")
p.add_argument("--sway", type=float, default=0.5, help="a person moving: degrees, at 0.3 Hz")
p.add_argument("--rate", type=float, default=50)
p.add_argument("--unplug", default="")
p.add_argument("--garbage", default="")
p.add_argument("--range", default="", help="readings of 3 g (a faulty sensor) in this window")
p.add_argument("--control", default="")
p.add_argument("--seed", type=int, default=22)
args = p.parse_args()
random.seed(args.seed)
frames = [(float(t), float(a)) for t, a in (k.split(":") for k in args.program.split())]


def window(text):
    if not text:
        return None
    a, b = text.split("-")
    return float(a), float(b)


unplug, garbage, out_of_range = window(args.unplug), window(args.garbage), window(args.range)


def planned(t):
    if t <= frames[0][0]:
        return frames[0][1]
    for (t0, a0), (t1, a1) in zip(frames, frames[1:]):
        if t0 <= t <= t1:
            return a0 + (a1 - a0) * (t - t0) / (t1 - t0) if t1 > t0 else a1
    return frames[-1][1]


device = os.path.join(args.root, "iio:device0")
hidden = os.path.join(args.root, ".unplugged")
os.makedirs(device, exist_ok=True)


def put(name, text):
    path = os.path.join(device, name)
    with open(path + ".new", "w") as f:
        f.write(text + "\n")
    os.replace(path + ".new", path)


put("name", args.name)
put("in_accel_scale", "%.6f" % args.scale)
start = time.monotonic()
with open(os.path.join(args.root, "start"), "w") as f:
    f.write("%.6f\n" % start)  # the table's time 0 on CLOCK_MONOTONIC, for a bench's latencies
angle = planned(0)
last = start
while True:
    now = time.monotonic()
    t = now - start
    if args.control and os.path.exists(args.control):
        try:
            target = float(open(args.control).read().strip())
            step = 10.0 * (now - last)
            angle += max(-step, min(step, target - angle))
        except ValueError:
            pass
    else:
        angle = planned(t)
    last = now
    if unplug and unplug[0] <= t < unplug[1]:
        if os.path.isdir(device):
            shutil.rmtree(hidden, ignore_errors=True)
            os.rename(device, hidden)
    elif os.path.isdir(hidden) and not os.path.isdir(device):
        os.rename(hidden, device)
    if os.path.isdir(device):
        shown = angle + args.sway * math.sin(2 * math.pi * 0.3 * t)
        r = math.radians(shown)
        g = 3.0 if out_of_range and out_of_range[0] <= t < out_of_range[1] else 1.0
        # The force an accelerometer at rest feels ("up"), in the table's axes: x toward the
        # head along the bed, z out of the bed.
        tx, ty, tz = -math.sin(r) * g, 0.0, math.cos(r) * g
        bx, by, bz = (tx, ty, tz) if args.mount == "flat" else (tz, tx, -ty)
        raw = [round((v + random.gauss(0, args.noise)) * 9.80665 / args.scale) for v in (bx, by, bz)]
        if garbage and garbage[0] <= t < garbage[1]:
            put("in_accel_x_raw", "garbage")
        else:
            put("in_accel_x_raw", str(raw[0]))
        put("in_accel_y_raw", str(raw[1]))
        put("in_accel_z_raw", str(raw[2]))
        with open(os.path.join(args.root, "truth.new"), "w") as f:
            f.write("%.3f %.3f\n" % (t, shown))
        os.replace(os.path.join(args.root, "truth.new"), os.path.join(args.root, "truth"))
    time.sleep(1 / args.rate)
