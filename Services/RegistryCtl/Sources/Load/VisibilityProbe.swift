// How long a registration takes to become visible through address-index.

import AsyncHTTPClient
import Foundation
import Histogram
import RegistrySchema
import ServiceRuntime
import Synchronization

/// Polls `GET /v1/persons/{iin}/registration` for each watched person from the moment their first
/// registration was handed to the producer until it answers 200, and keeps the delays in an
/// HdrHistogram (microseconds, 3 significant digits). Polls are 5 ms apart for the first 100 ms,
/// then a twentieth of the wait so far (at most 50 ms), which bounds the resolution; a person not
/// visible after 30 s counts as timed out.
final class VisibilityProbe: Sendable {
    /// The delays, summarised.
    struct Latency {
        let samples: Int
        let timedOut: Int
        let p50: Double
        let p99: Double
        let max: Double
    }

    private let client = HTTPClient(eventLoopGroupProvider: .singleton)
    private let base: String
    private let authorization: String
    private let state = Mutex<(histogram: Histogram<UInt64>, timedOut: Int, tasks: [Task<Void, Never>])>(
        (Histogram(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three), 0, []))

    /// - Parameter indexURL: address-index's base URL; an agency token is minted with `$REGISTRY_JWT_SECRET`.
    init(indexURL: String) async throws {
        base = indexURL.hasSuffix("/") ? String(indexURL.dropLast()) : indexURL
        authorization = "Bearer " + (try await TokenCommand.mint(role: .agency, sub: "registryctl-load", scope: Scope.addressRead.rawValue, org: "registryctl load", ttl: 6 * 3600))
    }

    /// Starts timing `iin`'s registration, which was just handed to the producer.
    func watch(_ iin: IIN) {
        let sent = ContinuousClock.now
        let task = Task {
            var request = HTTPClientRequest(url: "\(base)/v1/persons/\(iin.rawValue)/registration")
            request.headers.add(name: "Authorization", value: authorization)
            request.headers.add(name: "X-Purpose", value: "benchmark: time to visibility")
            while ContinuousClock.now - sent < .seconds(30) {
                if let response = try? await client.execute(request, timeout: .seconds(5)) {
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    if response.status == .ok {
                        let micros = UInt64((ContinuousClock.now - sent).inSeconds * 1_000_000)
                        state.withLock { _ = $0.histogram.record(micros) }
                        return
                    }
                }
                // 5 ms at first, then a twentieth of the time waited so far (at most 50 ms): a 5 %
                // resolution that keeps a backlog's many waiting samples from flooding the index.
                try? await Task.sleep(for: max(.milliseconds(5), min(.milliseconds(50), (ContinuousClock.now - sent) / 20)))
            }
            state.withLock { $0.timedOut += 1 }
        }
        state.withLock { $0.tasks.append(task) }
    }

    /// Waits for every watched person and summarises.
    func finish() async throws -> Latency {
        for task in state.withLock({ $0.tasks }) { await task.value }
        try await client.shutdown()
        return state.withLock { state in
            let h = state.histogram
            func ms(_ micros: UInt64) -> Double { (Double(micros) / 100).rounded() / 10 }
            return Latency(
                samples: Int(h.totalCount), timedOut: state.timedOut, p50: ms(h.valueAtPercentile(50)), p99: ms(h.valueAtPercentile(99)), max: ms(h.max))
        }
    }
}
