// Turning librdkafka error codes into KafkaError.

import CRdKafka

extension KafkaError {
    /// An error from a librdkafka response code.
    static func rd(_ kind: Kind, _ code: rd_kafka_resp_err_t, context: String) -> KafkaError {
        let name = rd_kafka_err2name(code).map { String(cString: $0) } ?? ""
        let text = rd_kafka_err2str(code).map { String(cString: $0) } ?? "unknown error"
        return KafkaError(kind: kind, code: code.rawValue, codeName: name, message: "\(context): \(text)")
    }

    /// An error from a librdkafka `rd_kafka_error_t` object, which it destroys.
    static func rd(_ kind: Kind, consuming error: OpaquePointer, context: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let name = rd_kafka_error_name(error).map { String(cString: $0) } ?? ""
        let text = rd_kafka_error_string(error).map { String(cString: $0) } ?? "unknown error"
        return KafkaError(kind: kind, code: code.rawValue, codeName: name, message: "\(context): \(text)")
    }
}
