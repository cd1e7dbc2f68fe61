// Lets a service's parts reach the engine another of its consumer parts becomes.

import Synchronization

/// A reference, made while a service's parts are declared, to the ``ProcessingEngine`` a
/// ``ConsumerPart`` becomes once the runtime builds it: intake's handover restores a partition's
/// state through the engine that replicates its decisions.
public final class EngineHandle: Sendable {
    private let bound = Mutex<ProcessingEngine?>(nil)

    /// Creates an unbound handle.
    public init() {}

    /// The engine (the runtime binds it before anything runs).
    public var engine: ProcessingEngine? { bound.withLock { $0 } }

    func bind(_ engine: ProcessingEngine) {
        bound.withLock { $0 = engine }
    }
}
