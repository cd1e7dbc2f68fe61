// Background work that comes round again and again while a service runs.

import ServiceLifecycle

/// Runs `round` again and again until the task is cancelled or the service shuts down
/// gracefully, pausing after each round for as long as the round returns.
///
/// The loop of the services' periodic parts (commit a watermark every second, announce ended
/// stays, ask for a checkpoint, recommit offsets) in one place.
public func repeatUntilShutdown(_ round: @Sendable @escaping () async -> Duration) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            let pause = await round()
            try? await Task.sleep(for: pause)
        }
    }
}
