// Which IP addresses a webhook may be sent to: none of the IANA special-purpose ones.

import Foundation

/// An IPv4 or IPv6 address, as a webhook host resolves to it.
enum ReceiverAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    /// 16 bytes, network order.
    case v6([UInt8])

    /// Whether a webhook may go here: a unicast address that the IANA IPv4 and IPv6
    /// Special-Purpose Address Registries (RFC 6890 and its updates) do not list, nor any
    /// multicast or reserved range. IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::/96`,
    /// RFC 6052) addresses are judged by the IPv4 address they carry. Anything else is refused,
    /// including blocks the registry marks globally reachable (AS112, AMT, anycast relays): no
    /// agency receives webhooks there, and a short list that is all refused is easier to trust.
    var isPublic: Bool {
        switch self {
        case .v4(let address):
            return !Self.specialIPv4.contains { $0.contains(address) }
        case .v6(let bytes):
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return ReceiverAddress.v4(Self.lastFour(bytes)).isPublic
            }
            if bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
                return ReceiverAddress.v4(Self.lastFour(bytes)).isPublic
            }
            // Global unicast is 2000::/3; everything outside it (::/8 with loopback, unspecified
            // and the old IPv4-compatible form; 100::/64 discard; fc00::/7 unique local;
            // fe80::/10 link-local; ff00::/8 multicast…) is refused outright.
            guard bytes[0] & 0xe0 == 0x20 else { return false }
            return !Self.specialIPv6.contains { $0.contains(bytes) }
        }
    }

    /// The IPv4 Special-Purpose Address Registry, plus multicast (224.0.0.0/4, which 240.0.0.0/4
    /// adjoins: together every address from 224.0.0.0 up).
    static let specialIPv4: [IPv4Block] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
        "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ].map { IPv4Block($0)! }

    /// The IPv6 Special-Purpose Address Registry's blocks inside 2000::/3 (the rest of the
    /// registry lies outside global unicast and is refused with it).
    static let specialIPv6: [IPv6Block] = [
        "2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20",
    ].map { IPv6Block($0)! }

    private static func lastFour(_ bytes: [UInt8]) -> UInt32 {
        bytes[12...15].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// An IP literal as the system resolver reads it: dotted IPv4 in every form `inet_aton`
    /// accepts (`127.1`, `0x7f.0.0.1`, `2130706433`, `017700000001`) and IPv6 with or without
    /// brackets. `nil` for a name.
    static func literal(_ host: String) -> ReceiverAddress? {
        var text = host
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return .v6(withUnsafeBytes(of: &v6) { Array($0) })
        }
        var v4 = in_addr()
        if inet_aton(text, &v4) != 0 {
            return .v4(UInt32(bigEndian: v4.s_addr))
        }
        return nil
    }

    /// The address from a `getaddrinfo` result, read in place (``SystemResolver/lookUp(_:)`` says
    /// why this is libc and not a library).
    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            self = .v4(UInt32(bigEndian: v4))
        case AF_INET6:
            var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
        default:
            return nil
        }
    }

    /// The usual text form (`127.0.0.1`, `::1`), as a connection target.
    var description: String {
        switch self {
        case .v4(let address):
            return [24, 16, 8, 0].map { String(address >> $0 & 0xff) }.joined(separator: ".")
        case .v6(var bytes):
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = bytes.withUnsafeMutableBytes { inet_ntop(AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// An IPv4 CIDR block.
struct IPv4Block: Sendable {
    let network: UInt32
    let mask: UInt32

    init?(_ cidr: String) {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = UInt32(parts[1]), bits <= 32, case .v4(let network)? = ReceiverAddress.literal(String(parts[0])) else { return nil }
        mask = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        self.network = network & mask
    }

    func contains(_ address: UInt32) -> Bool { address & mask == network }
}

/// An IPv6 CIDR block.
struct IPv6Block: Sendable {
    let network: [UInt8]
    let bits: Int

    init?(_ cidr: String) {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...128).contains(bits), case .v6(let network)? = ReceiverAddress.literal(String(parts[0])) else { return nil }
        self.network = network
        self.bits = bits
    }

    func contains(_ address: [UInt8]) -> Bool {
        for bit in stride(from: 0, to: bits, by: 8) {
            let mask: UInt8 = bits - bit >= 8 ? 0xff : ~UInt8(0) << (8 - (bits - bit))
            if address[bit / 8] & mask != network[bit / 8] & mask { return false }
        }
        return true
    }
}
