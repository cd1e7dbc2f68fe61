// The services' murmur2 (KafkaKeyPartitioner, through JavaPartitioner) against the Kafka Java client's published test vectors.

import Testing
import TestSupport

@Suite struct JavaPartitionerTests {
    /// `org.apache.kafka.common.utils.UtilsTest.testMurmur2`.
    @Test(arguments: [
        ("21", Int32(-973932308)), ("foobar", -790332482), ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971), ("abc", 479470107),
    ])
    func murmur2MatchesJava(_ key: String, _ expected: Int32) {
        #expect(Int32(bitPattern: JavaPartitioner.murmur2(Array(key.utf8))) == expected)
    }

    @Test func thePartitionIsThePositiveHashModuloTheCount() {
        // -973932308 & 0x7fffffff = 1173551340; % 12 = 0.
        #expect(JavaPartitioner.partition(of: "21", partitions: 12) == 1_173_551_340 % 12)
        #expect((0..<1000).allSatisfy { (0..<12).contains(JavaPartitioner.partition(of: "key-\($0)", partitions: 12)) })
    }
}
