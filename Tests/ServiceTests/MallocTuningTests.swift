// A service's large blocks stay mapped on their own after a larger one was freed.

#if os(Linux)
import Glibc
@testable import ServiceRuntime
import Testing

struct MallocTuningTests {
    @Test func anOperatorsMallocSettingDecides() {
        for variable in MallocTuning.operatorVariables {
            #expect(!MallocTuning.returnLargeBlocksToTheSystem(environment: [variable: "262144"]), "\(variable) set")
        }
    }

    /// Untuned, freeing the 1 MiB block would raise glibc's threshold to 1 MiB, and the 256 KiB
    /// block after it would come from a heap.
    @Test func aBlockAboveTheThresholdIsMappedAfterALargerOneWasFreed() throws {
        #expect(MallocTuning.returnLargeBlocksToTheSystem(environment: [:]))
        free(malloc(1 << 20))
        let block = try #require(malloc(2 * MallocTuning.mappedBlockThreshold))
        defer { free(block) }
        #expect(Self.isMapped(block))
    }

    /// glibc's chunk header: the size word before the block, whose bit 1 (`IS_MMAPPED`) says the
    /// chunk is a mapping of its own.
    private static func isMapped(_ block: UnsafeMutableRawPointer) -> Bool {
        (block - MemoryLayout<Int>.size).load(as: Int.self) & 0x2 != 0
    }
}
#endif
