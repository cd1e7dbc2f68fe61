// Building an rd_kafka_conf_t from a property dictionary.

import CRdKafka

enum RDKafkaConfig {
    /// Creates a librdkafka configuration object holding `properties`.
    ///
    /// A rejected property throws an error naming both the property and the `KAFKA_*`
    /// variable that would set it, so an operator's typo is easy to find.
    static func make(_ properties: [String: String]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(kind: .configuration, message: "rd_kafka_conf_new failed")
        }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KafkaError(
                    kind: .configuration,
                    message: "property '\(name)' (env \(KafkaClientConfiguration.variableName(forProperty: name))): \(reason)"
                )
            }
        }
        return conf
    }
}
