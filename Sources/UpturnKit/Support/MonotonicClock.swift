import Glibc

/// Seconds on CLOCK_MONOTONIC: for deadlines and intervals that a change of the wall clock
/// (NTP on a Raspberry Pi that booted without a clock) must not move.
public enum MonotonicClock {
    public static var now: Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
