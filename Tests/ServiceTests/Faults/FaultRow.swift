// One row of the `make faults` table, built from what a fault test measured.

import Synchronization
import Testing

/// A row of the table that `make faults` prints (`scripts/faults.sh` collects the lines that start
/// with `faults | `): `scenario | injected faults | messages | lost | duplicated | result`.
///
/// A test sets each figure from what it observed and makes every check through
/// ``check(_:_:sourceLocation:)``, which records a test issue and puts the failure into the result
/// column. ``FaultRow/measure(_:injected:sourceLocation:_:)`` prints the row however the test
/// ends: the success wording the test returns only when no check failed and no figure says
/// otherwise, else `FAILED: ` and what failed (an error that stopped the test included).
///
/// ```swift
/// try await FaultRow.measure("broker away", injected: "20 s outage") { row in
///     row.messages = "\(sent) messages"
///     row.lost = sent - received.distinct       // anything but 0 fails the row
///     row.duplicated(received.repeats, "re-sends (same id)")
///     row.check(statuses == [202, 503], "answered \(statuses)")
///     return "stayed up, resumed"               // printed only if everything held
/// }
/// ```
final class FaultRow: Sendable {
    private struct State {
        var injected: String
        var messages: String?
        var lost: Int?
        var duplicated: (count: Int, note: String)?
        var failures: [String] = []
    }

    let scenario: String
    /// Whether the scenario has inputs to lose or repeat; `false` prints `-` in both columns.
    let countsMessages: Bool
    private let state: Mutex<State>

    init(_ scenario: String, injected: String, countsMessages: Bool = true) {
        self.scenario = scenario
        self.countsMessages = countsMessages
        state = Mutex(State(injected: injected))
    }

    /// The faults as injected (may be set again once counted, e.g. kills that hit work in flight).
    var injected: String {
        get { state.withLock { $0.injected } }
        set { state.withLock { $0.injected = newValue } }
    }

    /// What went through, e.g. `2000 submissions, 14000 audited`.
    var messages: String? {
        get { state.withLock { $0.messages } }
        set { state.withLock { $0.messages = newValue } }
    }

    /// Inputs without their output, counted against the inputs. Anything but 0 fails the row.
    var lost: Int? {
        get { state.withLock { $0.lost } }
        set { state.withLock { $0.lost = newValue } }
    }

    /// Sets the duplicated column: `count` repeats (counted by id on the outputs) and what they
    /// are, e.g. `re-sends (same id)`. Whether repeats are allowed is the test's own check.
    func duplicated(_ count: Int, _ note: String = "") {
        state.withLock { $0.duplicated = (count, note) }
    }

    /// The checks that failed so far.
    var failures: [String] { state.withLock { $0.failures } }

    /// Checks `condition`; when it does not hold, records a test issue with `failure` and puts
    /// `failure` into the result column.
    @discardableResult
    func check(_ condition: Bool, _ failure: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if !condition { fail(failure(), sourceLocation: sourceLocation) }
        return condition
    }

    /// Records a failure: a test issue, and the result column.
    func fail(_ failure: String, sourceLocation: SourceLocation = #_sourceLocation) {
        state.withLock { $0.failures.append(failure) }
        Issue.record(Comment(rawValue: failure), sourceLocation: sourceLocation)
    }

    /// The row as `scripts/faults.sh` reads it; `held` is the result when nothing failed.
    func line(held: String) -> String {
        state.withLock { state in
            var failures = state.failures
            if let lost = state.lost, lost != 0 { failures.insert("\(lost) lost", at: 0) }
            if countsMessages && state.lost == nil { failures.append("lost not measured") }
            if countsMessages && state.duplicated == nil { failures.append("duplicated not measured") }
            let lost = countsMessages ? state.lost.map(String.init) ?? "not measured" : "-"
            let duplicated = countsMessages ? state.duplicated.map { $0.note.isEmpty ? "\($0.count)" : "\($0.count) \($0.note)" } ?? "not measured" : "-"
            let result = failures.isEmpty ? held : "FAILED: " + failures.joined(separator: "; ")
            return ["faults", scenario, state.injected, state.messages ?? "not measured", lost, duplicated, result].map(Self.cell).joined(separator: " | ")
        }
    }

    /// One table cell: on one line, without the column separator, not endless.
    private static func cell(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "/")
        return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
    }

    /// Runs a fault test and prints its row however it ends. `body` sets the figures, makes its
    /// checks through the row and returns the result wording for when everything held; an error
    /// it throws goes into the result column and is thrown on (the test fails).
    static func measure(
        _ scenario: String, injected: String, countsMessages: Bool = true, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (FaultRow) async throws -> String
    ) async throws {
        let row = FaultRow(scenario, injected: injected, countsMessages: countsMessages)
        let held: String
        do {
            held = try await body(row)
        } catch {
            row.state.withLock { $0.failures.append("stopped: \(error)") }
            print(row.line(held: ""))
            throw error
        }
        // A figure that says something went wrong fails the test too, not only the row.
        if let lost = row.lost, lost != 0 { Issue.record("\(scenario): \(lost) lost", sourceLocation: sourceLocation) }
        if row.countsMessages && (row.lost == nil || row.state.withLock({ $0.duplicated == nil })) {
            Issue.record("\(scenario): a figure of the row was not measured", sourceLocation: sourceLocation)
        }
        print(row.line(held: held))
    }
}
