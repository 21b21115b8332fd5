#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings for a process that allocates and frees at a high rate from several threads.
enum AllocatorTuning {
    /// By default glibc hands the top of a thread's heap back to the kernel once 128 KiB of it is free, and grows it
    /// again (`mprotect`, then a page fault per page) on the next burst. In the scheduling loop that cycle was ~9 % of
    /// the CPU; keeping up to 256 MiB free, and growing 16 MiB at a time, let the loop decide 10–25 % more bindings
    /// per second (`flotilla bench scheduler`). Freed memory stays in the process up to that size, which RSS shows.
    static func apply() {
        #if canImport(Glibc)
        // `mallopt` is declared in malloc.h, which Swift's Glibc module does not include: looked up by name instead.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let trimThreshold: Int32 = -1, topPad: Int32 = -2  // M_TRIM_THRESHOLD and M_TOP_PAD in malloc.h
        _ = mallopt(trimThreshold, 256 << 20)
        _ = mallopt(topPad, 16 << 20)
        #endif
    }
}
