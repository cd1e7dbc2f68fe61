// How a service's freed memory goes back to the system: large blocks are mapped, not pooled.

#if os(Linux)
import CGlibcMalloc
#endif

/// glibc's malloc settings for a long-running service.
///
/// glibc gives a block of at least `M_MMAP_THRESHOLD` (128 KiB) its own mapping, which `free`
/// hands back to the system. But when such a block is freed, glibc raises the threshold to its
/// size (up to 32 MiB), and later blocks of that size come from its heaps, which keep what is
/// freed for reuse by any size. librdkafka's fetch responses and a batch's message arrays are
/// such blocks, so a service's resident memory kept the high-water mark of every burst. A fixed
/// threshold turns that adjustment off (BENCHMARKS.md, "Memory").
public enum MallocTuning {
    /// Blocks from this size up are mapped on their own: glibc's initial threshold.
    public static let mappedBlockThreshold = 128 * 1024

    /// Whether an operator set the threshold: `MALLOC_MMAP_THRESHOLD_`, or
    /// `glibc.malloc.mmap_threshold` in `GLIBC_TUNABLES` (other tunables leave it to us).
    public static func operatorSetsThreshold(_ environment: [String: String]) -> Bool {
        environment["MALLOC_MMAP_THRESHOLD_"] != nil || environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.mmap_threshold") == true
    }

    /// What the start-up log says about the threshold.
    /// - Parameter applied: What ``returnLargeBlocksToTheSystem(environment:)`` returned.
    public static func describe(applied: Bool, environment: [String: String]) -> String {
        if applied { return "\(mappedBlockThreshold / 1024) KiB, fixed" }
        return operatorSetsThreshold(environment) ? "as the environment sets it" : "the C library's own (not tuned)"
    }

    /// Fixes the threshold at ``mappedBlockThreshold`` unless the operator set one.
    /// - Returns: Whether the threshold was set (never on other C libraries).
    @discardableResult
    public static func returnLargeBlocksToTheSystem(environment: [String: String]) -> Bool {
        guard !operatorSetsThreshold(environment) else { return false }
        #if os(Linux)
        return mallopt(M_MMAP_THRESHOLD, Int32(mappedBlockThreshold)) == 1
        #else
        return false
        #endif
    }
}
