// The thread that serves a producer's delivery reports.

import Foundation
import Synchronization

/// A thread blocked in `rd_kafka_poll` that serves delivery-report and error callbacks until
/// stopped. librdkafka wakes it when a report is ready; ``stop()`` wakes it by yielding the queue
/// it polls (``RDKafkaClient/wake()``).
final class RDKafkaPollThread: Sendable {
    private let running = Mutex(true)
    private let finished = DispatchSemaphore(value: 0)
    private let client: RDKafkaClient

    init(client: RDKafkaClient, name: String) {
        self.client = client
        let thread = Thread { [self] in
            while running.withLock({ $0 }) {
                client.poll(timeout: .milliseconds(500))
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for it to leave librdkafka. Safe to call more than once.
    func stop() {
        let wasRunning = running.withLock { r -> Bool in
            defer { r = false }
            return r
        }
        guard wasRunning else { return }
        client.wake()
        finished.wait()
    }
}
