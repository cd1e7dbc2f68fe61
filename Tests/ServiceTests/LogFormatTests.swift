// LOG_FORMAT=json: one JSON object per line, carrying what the text format carries.

import Foundation
import Logging
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

@Suite struct LogFormatTests {
    @Test func aRecordIsOneLineOfJSONWithLevelLoggerMessageMetadataAndTime() throws {
        let lines = Mutex<[[UInt8]]>([])
        var handler = JSONLogHandler(label: "kz.registry.test") { bytes in lines.withLock { $0.append(bytes) } }
        handler.metadata = ["service": "test"]
        handler.logLevel = .debug
        var logger = Logger(label: "kz.registry.test", factory: { _ in handler })
        logger.logLevel = .debug
        logger.warning("applied \"batch\"\nsecond line", metadata: ["iin": "860101****25", "nested": ["a": ["1", "2"]], "surname": "Ахметов"])

        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let bytes = try #require(written.first)
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.dropLast().contains(UInt8(ascii: "\n")) == false, "one line per record")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "kz.registry.test")
        #expect(object["message"] as? String == "applied \"batch\"\nsecond line")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["iin"] as? String == "860101****25")
        #expect(metadata["service"] as? String == "test")
        #expect((metadata["nested"] as? [String: [String]])?["a"] == ["1", "2"])
        let time = try #require(object["time"] as? String)
        #expect(time.hasSuffix("Z") && time.count >= 20, "RFC 3339 UTC: \(time)")
        // Text is UTF-8 as written, so a search of the logs finds what it finds in text logs.
        #expect(String(decoding: bytes, as: UTF8.self).contains("Ахметов"))
    }

    /// A real service started with LOG_FORMAT=json writes nothing but JSON lines.
    @Test(.timeLimit(.minutes(2))) func aServiceWithLogFormatJSONWritesOnlyJSONLines() async throws {
        let port = try ChildProcess.freePort()
        let child = try ChildProcess("notification", environment: [
            "HTTP_PORT": "\(port)", "DATA_DIR": NSTemporaryDirectory() + UUID().uuidString, "REGISTRY_JWT_SECRET": TestSecrets.jwt,
            "LOG_FORMAT": "json", "LOG_LEVEL": "debug", "REGISTRY_TOPIC_PREFIX": TestBroker.uniqueName("logjson") + ".",
        ])
        try await waitUntil("notification answers /health/live", timeout: .seconds(30)) {
            await httpGet("http://127.0.0.1:\(port)/health/live")?.status == 200
        }
        #expect(child.output.contains(#""message":"starting""#))
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(15)) == 0)
        let lines = child.output.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String && object?["level"] is String, "not a JSON log record: \(line)")
        }
        print("LOG_FORMAT=json: \(lines.count) lines from notification, each one JSON object")
    }

    @Test func anUnknownLogFormatIsAConfigurationError() async throws {
        let child = try ChildProcess("audit", environment: [
            "HTTP_PORT": "1", "DATA_DIR": NSTemporaryDirectory() + UUID().uuidString, "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_FORMAT": "xml",
        ])
        #expect(await child.waitForExit(timeout: .seconds(10)) == 78)
        #expect(child.output.contains("LOG_FORMAT"))
    }
}
