// What an owner is told when someone is registered at their property.

import RegistrySchema

/// The `data` of an owner alert, sent through `OWNER_ALERT_WEBHOOK_URL` (an SMS or e-mail
/// gateway) in a CloudEvent of type ``eventType``, signed like agency webhooks.
struct OwnerAlert: Codable, Sendable, Hashable {
    /// The CloudEvent type of owner alerts (they never travel on Kafka).
    static let eventType = "kz.registry.owner-alert.v1"

    /// Who is told (one alert per owner).
    var owner: IIN
    /// The dwelling.
    var address: AddressSnapshot
    /// `permanent` or `temporary`.
    var registration: RegistrationKind
    /// From when, and (temporary) until when.
    var validFrom: CalendarDate
    var validUntil: CalendarDate?
    /// The newcomer's name, only when this owner consented to this registration; else `null`.
    var newcomer: Newcomer?

    /// Encodes every field; absent optional ones as `null` (a receiver sees that the name was withheld).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(owner, forKey: .owner)
        try container.encode(address, forKey: .address)
        try container.encode(registration, forKey: .registration)
        try container.encode(validFrom, forKey: .validFrom)
        try container.encode(validUntil, forKey: .validUntil)
        try container.encode(newcomer, forKey: .newcomer)
    }

    struct Newcomer: Codable, Sendable, Hashable {
        var surname: String
        var givenName: String
        var patronymic: String?
    }
}
