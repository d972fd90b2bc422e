#if canImport(Glibc)
import Glibc
#endif

/// Reads the process's user plus system CPU time (`getrusage`), for cost reports.
public enum ProcessCPUTime {
    public static func seconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return value(usage.ru_utime) + value(usage.ru_stime)
    }
}
