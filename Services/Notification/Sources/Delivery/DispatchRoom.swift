// What the delivery engine may start: its limits overall, per receiver and per lane.

/// Which attempts can start: at most `free` more in all; per receiver, at most `receiverLimit`
/// requests awaiting an answer and twice that many attempts not yet recorded; one attempt in flight
/// per lane (until it is recorded). An answered attempt frees its request slot while it is
/// recorded, so a receiver is not kept waiting for the store; the second bound keeps what a crash
/// could send again (the attempts not yet recorded) at twice the request slots.
struct DispatchRoom: Sendable {
    /// One receiver's attempts in flight.
    private struct Load {
        var awaitingAnswer = 0
        var unrecorded = 0
    }

    /// Attempts that may still start, over all receivers.
    private(set) var free: Int
    /// Requests awaiting an answer at once from one receiver.
    let receiverLimit: Int
    /// Attempts in flight per receiver (`host:port`).
    private var perReceiver: [String: Load] = [:]
    /// The lanes with an attempt in flight.
    private(set) var lanes: Set<DueDelivery.Lane> = []

    init(concurrency: Int, receiverLimit: Int) {
        free = concurrency
        self.receiverLimit = receiverLimit
    }

    /// Whether nothing more can start to `receiver`.
    private func isFull(_ receiver: String) -> Bool {
        guard let load = perReceiver[receiver] else { return false }
        return load.awaitingAnswer >= receiverLimit || load.unrecorded >= 2 * receiverLimit
    }

    /// The receivers that are at their limit.
    var busyReceivers: Set<String> { Set(perReceiver.keys.filter(isFull)) }

    /// Whether every one of `receivers` is at its limit (nothing to them can start).
    func isBusy(_ receivers: Set<String>) -> Bool {
        receivers.allSatisfy(isFull)
    }

    /// Whether an attempt to `receiver` in `lane` can start; if it can, it takes its room.
    mutating func take(receiver: String, lane: DueDelivery.Lane) -> Bool {
        guard free > 0, !isFull(receiver), !lanes.contains(lane) else { return false }
        free -= 1
        perReceiver[receiver, default: Load()].awaitingAnswer += 1
        perReceiver[receiver, default: Load()].unrecorded += 1
        lanes.insert(lane)
        return true
    }

    /// Gives back the request slot of an attempt its receiver answered (or that was not sent).
    mutating func release(receiver: String) {
        perReceiver[receiver]?.awaitingAnswer -= 1
    }

    /// Gives back the rest of an attempt's room once it is recorded (or given up): its lane, its
    /// place among the receiver's unrecorded attempts and in the overall limit.
    mutating func finish(receiver: String, lane: DueDelivery.Lane) {
        free += 1
        lanes.remove(lane)
        perReceiver[receiver]?.unrecorded -= 1
        if let load = perReceiver[receiver], load.awaitingAnswer == 0, load.unrecorded == 0 { perReceiver[receiver] = nil }
    }
}
