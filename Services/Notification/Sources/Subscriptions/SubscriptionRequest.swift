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
    ///   or (unless `allowLocal`) is plain http or names a loopback, private or link-local
    ///   address: deliveries carry personal data, and must not be aimed at our own network.
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
            guard !Self.isLocal(host) else { throw .init("delivery.url must not name a loopback, private or link-local address") }
        }
        return "\(host.lowercased()):\(components.port ?? (scheme == "https" ? 443 : 80))"
    }
}

extension SubscriptionRequest {
    /// Whether `host` is `localhost` or an IP literal in a loopback, private, shared, link-local
    /// or unspecified range. Names that resolve to such addresses are not caught here (that takes
    /// a check at connection time).
    static func isLocal(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        if octets.count == 4, octets.allSatisfy({ $0 != nil && (0...255).contains($0!) }) {
            let (a, b) = (octets[0]!, octets[1]!)
            return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 100 && (64...127).contains(b))
        }
        if name.contains(":") {
            return name == "::1" || name == "::" || name.hasPrefix("fc") || name.hasPrefix("fd") || name.hasPrefix("fe8") || name.hasPrefix("fe9")
                || name.hasPrefix("fea") || name.hasPrefix("feb") || name.hasPrefix("::ffff:")
        }
        return false
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
