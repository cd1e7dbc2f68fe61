// A service's large blocks stay mapped on their own after a larger one was freed.

#if os(Linux)
import Glibc
@testable import ServiceRuntime
import Testing

struct MallocTuningTests {
    @Test func anOperatorsThresholdDecidesAndOtherTunablesDoNot() {
        #expect(MallocTuning.operatorSetsThreshold(["MALLOC_MMAP_THRESHOLD_": "262144"]))
        #expect(MallocTuning.operatorSetsThreshold(["GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=262144"]))
        #expect(!MallocTuning.operatorSetsThreshold(["GLIBC_TUNABLES": "glibc.pthread.rseq=0"]))
        #expect(!MallocTuning.operatorSetsThreshold([:]))
        #expect(!MallocTuning.returnLargeBlocksToTheSystem(environment: ["MALLOC_MMAP_THRESHOLD_": "262144"]))
    }

    @Test func theStartLogSaysWhichThresholdHolds() {
        #expect(MallocTuning.describe(applied: true, environment: [:]) == "128 KiB, fixed")
        #expect(MallocTuning.describe(applied: false, environment: ["MALLOC_MMAP_THRESHOLD_": "262144"]) == "as the environment sets it")
        #expect(MallocTuning.describe(applied: false, environment: [:]) == "the C library's own (not tuned)")
    }

    /// Untuned, freeing the 24 MiB block would raise glibc's threshold to its size, and the 12 MiB
    /// block after it would come from a heap. The blocks are that large so that no free space
    /// that other tests running in this process left in a heap can hold the second one.
    @Test func aBlockAboveTheThresholdIsMappedAfterALargerOneWasFreed() throws {
        #expect(MallocTuning.returnLargeBlocksToTheSystem(environment: [:]))
        free(malloc(24 << 20))
        // Other tests in this process freed large blocks before the threshold was fixed, which
        // raised the trim threshold with it: the heap may keep that much free space at its top,
        // and a block that fits there comes from it whatever the threshold. Give it back first.
        Self.mallocTrim(0)
        // A free 12 MiB chunk that another test left inside a heap (not at its top, where trimming
        // cannot reach) still serves a block. Held, it cannot serve the next: so of a few blocks
        // held at once, tuned, one is mapped; untuned, none is (each would come from a heap).
        // Under the whole suite the heaps once held four such free chunks (a run on 2026-12-06),
        // so up to 16 are taken; the loop stops at the first mapped one.
        var blocks: [UnsafeMutableRawPointer] = []
        defer { blocks.forEach { free($0) } }
        for _ in 0..<16 {
            blocks.append(try #require(malloc(12 << 20)))
            if Self.isMapped(blocks.last!) { break }
        }
        #expect(blocks.contains(where: Self.isMapped), "\(blocks.count) blocks of 12 MiB, none mapped on its own")
    }

    /// glibc's `malloc_trim`, which the Glibc module does not import (it is in malloc.h).
    private static let mallocTrim: @convention(c) (Int) -> Int32 = {
        unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "malloc_trim"), to: (@convention(c) (Int) -> Int32).self)
    }()

    /// glibc's chunk header: the size word before the block, whose bit 1 (`IS_MMAPPED`) says the
    /// chunk is a mapping of its own.
    private static func isMapped(_ block: UnsafeMutableRawPointer) -> Bool {
        (block - MemoryLayout<Int>.size).load(as: Int.self) & 0x2 != 0
    }
}
#endif
