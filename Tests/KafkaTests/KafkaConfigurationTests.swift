// Unit tests: configuration mapping and the library version (no broker needed).

import Kafka
import Testing

@Suite struct KafkaConfigurationTests {
    @Test func kafkaVariablesPassThroughToLibrdkafkaProperties() {
        let configuration = KafkaClientConfiguration.fromEnvironment(
            [
                "KAFKA_BOOTSTRAP_SERVERS": "broker-1:9092,broker-2:9092",
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISMS": "SCRAM-SHA-512",
                "HOME": "/root",
            ], clientID: "x")
        #expect(configuration.bootstrapServers == "broker-1:9092,broker-2:9092")
        #expect(configuration.extraProperties == ["security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512"])
        #expect(KafkaClientConfiguration.propertyName(forVariable: "KAFKA_SSL_CA_LOCATION") == "ssl.ca.location")
    }

    @Test func anUnknownPropertyIsRejectedNamingItsVariable() throws {
        try #require(KafkaLibrary.versionNumber >= KafkaLibrary.minimumVersion, "run through make test")
        var client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1")
        client.extraProperties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: TestLogger.quiet)
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("KAFKA_NO_SUCH_PROPERTY") == true)
    }

    @Test func theLoadedLibrdkafkaIsSupported() throws {
        // make test puts librdkafka 2.16 on LD_LIBRARY_PATH; Debian's 2.0.2 would be refused.
        try KafkaLibrary.requireSupportedVersion()
        #expect(KafkaLibrary.versionNumber >= 0x0202_0000)
    }
}
