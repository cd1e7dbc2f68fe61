// The body of POST /v1/subscriptions, checked.

import Foundation
import RegistrySchema

/// `{"filter":{…},"delivery":{"type":"webhook","url","secret"}}` as an agency sends it.
struct SubscriptionRequest: Decodable, Sendable {
    struct Delivery: Decodable, Sendable {
        var type: String
        var url: String
        var secret: String?
    }
    var filter: SubscriptionFilter?
    var delivery: Delivery

    /// Most IINs one watch-list may hold.
    static let watchListLimit = 100_000
    /// Most KATO prefixes one filter may hold.
    static let katoPrefixLimit = 1_000

    /// The checked subscription, or what is wrong with it (for a 400).
    /// - Parameter allowLocal: Accept http:// and local addresses (`WEBHOOK_ALLOW_LOCAL`).
    func validated(allowLocal: Bool) throws(SubscriptionRequestError) -> NewSubscription {
        guard delivery.type == "webhook" else { throw .init("delivery.type must be \"webhook\" (found \"\(delivery.type)\")") }
        let receiver = try Self.receiver(delivery.url, allowLocal: allowLocal)
        let secret: WebhookSecret
        var issuedSecret: String?
        if let text = delivery.secret {
            do { secret = try WebhookSecret(text) } catch { throw .init("delivery.secret: \(error)") }
        } else {
            (secret, issuedSecret) = WebhookSecret.generate()
        }
        let filter = self.filter ?? SubscriptionFilter()
        if let changes = filter.changes, Set(changes).count != changes.count { throw .init("filter.changes lists a kind twice") }
        if let prefixes = filter.katoPrefixes {
            guard !prefixes.isEmpty else { throw .init("filter.katoPrefixes is empty; leave it out to follow every territory") }
            guard prefixes.count <= Self.katoPrefixLimit else { throw .init("filter.katoPrefixes holds \(prefixes.count) prefixes; at most \(Self.katoPrefixLimit)") }
            if let bad = prefixes.firstIndex(where: { !KATO.isValidPrefix($0) }) {
                throw .init("filter.katoPrefixes[\(bad)]: a KATO prefix is 1 to 9 digits")
            }
        }
        if let iins = filter.iins {
            guard !iins.isEmpty else { throw .init("filter.iins is empty; leave it out to follow everyone") }
            guard iins.count <= Self.watchListLimit else { throw .init("filter.iins holds \(iins.count) IINs; at most \(Self.watchListLimit)") }
        }
        let wantsChanges = filter.changes.map { !$0.isEmpty } ?? true
        guard wantsChanges || filter.alerts == true else { throw .init("the filter matches nothing: no change kinds and no alerts") }
        return NewSubscription(filter: filter, url: delivery.url, receiver: receiver, secret: secret, issuedSecret: issuedSecret)
    }

    /// `host:port` of a webhook URL: the unit of the per-receiver concurrency limit.
    /// - Throws: When the URL is not an absolute https URL with a host and without credentials,
    ///   or (unless `allowLocal`) is plain http or names a special-purpose address in any form the
    ///   system resolver would read (``namesSpecialAddress(_:)``): deliveries carry personal data,
    ///   and must not be aimed at our own network. Names that resolve to such addresses are caught
    ///   when each delivery connects (``WebhookSender``).
    static func receiver(_ text: String, allowLocal: Bool) throws(SubscriptionRequestError) -> String {
        guard text.count <= 2048 else { throw .init("delivery.url is longer than 2048 characters") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .init("delivery.url must be an absolute http:// or https:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw .init("delivery.url has no host") }
        guard components.user == nil, components.password == nil else {
            throw .init("delivery.url must not carry credentials; deliveries are authenticated by their signature")
        }
        guard components.fragment == nil else { throw .init("delivery.url must not have a #fragment") }
        if !allowLocal {
            guard scheme == "https" else { throw .init("delivery.url must use https:// (deliveries carry personal data)") }
            guard !Self.namesSpecialAddress(host) else { throw .init(Self.specialAddress) }
        }
        return "\(host.lowercased()):\(components.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// The one answer for every form of an internal address.
    static let specialAddress = "delivery.url must not name a loopback, private or other special-purpose address"

    /// Whether `host` is `localhost` (or a name under it, with or without the root's trailing
    /// dot) or an IP literal, in any form `inet_aton`/`inet_pton` read (`2130706433`, `127.1`,
    /// `0x7f.0.0.1`, `[::0:1]`, `[::ffff:127.0.0.1]`), that is not a public unicast address.
    static func namesSpecialAddress(_ host: String) -> Bool {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        return ReceiverAddress.literal(name).map { !$0.isPublic } ?? false
    }
}

/// A 400's detail about a subscription body.
struct SubscriptionRequestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A subscription ready to be stored.
struct NewSubscription: Sendable {
    var filter: SubscriptionFilter
    var url: String
    var receiver: String
    var secret: WebhookSecret
    /// The secret, when the service made it: shown once, in the creation answer.
    var issuedSecret: String?
}
