// What a subscription wants to hear about, and the one place events are matched against it.

import RegistrySchema

/// The `filter` of a subscription (docs/architecture.md §5.2). Every given part must match; an absent part
/// does not restrict.
public struct SubscriptionFilter: Codable, Sendable, Hashable {
    /// Change kinds to deliver; `nil`: all of them.
    public var changes: [AddressChangeKind]?
    /// KATO prefixes; a change matches when its new or its previous address lies under one, an
    /// occupancy alert when its dwelling does. `nil`: everywhere.
    public var katoPrefixes: [String]?
    /// The IIN watch-list (up to 100,000); `nil`: everyone. Applies to changes, not alerts.
    public var iins: [IIN]?
    /// Whether occupancy alerts are delivered too (default: no).
    public var alerts: Bool?

    /// Creates a filter.
    public init(changes: [AddressChangeKind]? = nil, katoPrefixes: [String]? = nil, iins: [IIN]? = nil, alerts: Bool? = nil) {
        self.changes = changes
        self.katoPrefixes = katoPrefixes
        self.iins = iins
        self.alerts = alerts
    }
}

/// What the filters look at in a routed event.
struct EventFacts: Sendable {
    enum Kind: String, Sendable {
        case change, alert
        /// An owner alert: goes to the owner-alert channel only, never to agencies.
        case ownerAlert = "owner-alert"
    }
    var kind: Kind
    /// For changes.
    var change: AddressChangeKind?
    /// The new and previous address's KATO (changes) or the dwelling's (alerts).
    var katos: [KATO]
    /// The person, for changes.
    var iin: IIN?
}

/// A subscription's filter as stored, ready for matching (the watch-list lives in its own table).
struct StoredFilter: Sendable {
    var changes: Set<AddressChangeKind>?
    var katoPrefixes: [String]?
    var watchesIINs: Bool
    var alerts: Bool

    /// Whether `facts` pass the filter. `watched` says whether the event's IIN is on the watch-list
    /// (looked up by the caller through the index, never by scanning the list).
    func matches(_ facts: EventFacts, watched: Bool) -> Bool {
        if let katoPrefixes, !facts.katos.contains(where: { $0.hasPrefix(anyOf: katoPrefixes) }) { return false }
        switch facts.kind {
        case .change:
            if let changes, let change = facts.change, !changes.contains(change) { return false }
            return !watchesIINs || watched
        case .alert:
            return alerts
        case .ownerAlert:
            return false
        }
    }

    /// The stored form of a comma-joined list column.
    static func column<S: Sequence>(_ values: S?) -> String? where S.Element == String {
        values.map { $0.joined(separator: ",") }
    }

    /// Reads the filter columns of a `subscription` row.
    init(changes: String?, katoPrefixes: String?, watchesIINs: Bool, alerts: Bool) {
        self.changes = changes.map { Set($0.split(separator: ",").compactMap { AddressChangeKind(rawValue: String($0)) }) }
        self.katoPrefixes = katoPrefixes.map { $0.split(separator: ",").map(String.init) }
        self.watchesIINs = watchesIINs
        self.alerts = alerts
    }
}
