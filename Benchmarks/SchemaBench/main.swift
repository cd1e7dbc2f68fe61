// SchemaBench: decode and encode throughput of the hot-path event types, beside a baseline
// measured in the same run: Foundation's untyped JSONSerialization on the same bytes (parsing
// and writing without any validation), i.e. the floor any JSON-based decoding pays.
//
//   swift run -c release SchemaBench [iterations] [filter]   (default 200000 per row; only the
//                                                           rows whose name holds filter, or
//                                                           is it after a leading "=")
//
// Prints a Markdown section for BENCHMARKS.md (scripts/bench.sh collects it).

import Foundation
import RegistrySchema

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200_000
let filter = CommandLine.arguments.dropFirst(2).first

let submittedJSON = #"""
{"specversion":"1.0","id":"5b0f2d3e-6c1a-4c8e-9a55-0d4f7e2b9a10","source":"/egov/portal",
 "type":"kz.registry.registration.submitted.v1","time":"2026-11-24T10:15:30Z","subject":"860101300126",
 "datacontenttype":"application/json",
 "data":{"kind":"permanent",
  "person":{"iin":"860101300126","surname":"Ахметов","givenName":"Арман","patronymic":"Серікұлы","birthDate":"1986-01-01"},
  "rca":"1000000000001","validFrom":"2026-11-24","validUntil":null,
  "ownerConsent":{"ownerIin":"790512400220","givenAt":"2026-11-23T09:00:00Z"},"registration":null,"reason":null}}
"""#

let acceptedJSON = #"""
{"specversion":"1.0","id":"intake-9f1c2e7b","source":"/registry/intake",
 "type":"kz.registry.registration.accepted.v1","time":"2026-11-24T10:15:31.250Z","subject":"860101300126",
 "datacontenttype":"application/json",
 "data":{"submission":{"source":"/egov/portal","id":"5b0f2d3e-6c1a-4c8e-9a55-0d4f7e2b9a10"},"sequence":4,"kind":"permanent",
  "person":{"iin":"860101300126","surname":"Ахметов","givenName":"Арман","patronymic":"Серікұлы","birthDate":"1986-01-01"},
  "address":{"rca":"1000000000777","kato":"711410000","region":"Астана","locality":"Астана","street":"Мәңгілік Ел даңғылы","building":"55/1","flat":null},
  "previousAddress":{"rca":"1000000000001","kato":"751110000","region":"Алматы","locality":"Алматы","street":"Абай даңғылы","building":"10","flat":"25"},
  "validFrom":"2027-02-01","validUntil":null,"registration":null,"reason":null}}
"""#

let decoder = RegistryEventDecoder()
let encoder = RegistryEventEncoder()
/// The same decoding with Foundation's `JSONDecoder` only (no ``JSONReader``): the baseline of the typed rows.
let foundationDecoder = RegistryEventDecoder(readsFast: false)
/// Foundation's own encoder with the registry's options: the baseline of the encode rows.
let foundationEncoder = RegistryEventEncoder.makeJSONEncoder()

struct Row {
    let name: String
    let bytesPerEvent: Int
    let seconds: Double

    var eventsPerSecond: Double { Double(iterations) / seconds }
    var megabytesPerSecond: Double { Double(iterations * bytesPerEvent) / seconds / 1_000_000 }
}

/// Runs `body` a few thousand times to warm up, then `iterations` times, timing the latter.
func measure(_ name: String, bytes: Int, _ body: () throws -> Int) rethrows -> Row {
    var sink = 0
    for _ in 0..<min(5_000, iterations) { sink &+= try body() }
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { sink &+= try body() }
    let elapsed = clock.now - start
    if sink == 42 { print("") }  // keeps the work observable
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Row(name: name, bytesPerEvent: bytes, seconds: seconds)
}

func compact(_ json: String) throws -> [UInt8] {
    [UInt8](try encoder.encode(decoder.decodeEvent(from: Data(json.utf8))))
}

let submittedBytes = Data(try compact(submittedJSON))
let acceptedBytes = Data(try compact(acceptedJSON))
let submittedEvent = try decoder.decode(RegistrationSubmitted.self, from: submittedBytes)
let acceptedEvent = try decoder.decode(RegistrationAccepted.self, from: acceptedBytes)

var rows: [Row] = []

/// Measures a row unless the filter leaves it out.
@MainActor func add(_ name: String, bytes: Int, _ body: () throws -> Int) rethrows {
    if let filter, filter.hasPrefix("=") ? name != filter.dropFirst() : !name.contains(filter) { return }
    rows.append(try measure(name, bytes: bytes, body))
}
let submittedObject = try JSONSerialization.jsonObject(with: submittedBytes)
let acceptedObject = try JSONSerialization.jsonObject(with: acceptedBytes)
try add("submitted  baseline: JSONSerialization parse", bytes: submittedBytes.count) {
    (try JSONSerialization.jsonObject(with: submittedBytes) as? [String: Any])?.count ?? 0
}
try add("submitted  baseline: JSONSerialization write", bytes: submittedBytes.count) {
    try JSONSerialization.data(withJSONObject: submittedObject, options: [.sortedKeys]).count
}
try add("submitted  baseline: Foundation JSONDecoder (typed)", bytes: submittedBytes.count) {
    try foundationDecoder.decode(RegistrationSubmitted.self, from: submittedBytes).data.validFrom.day
}
try add("submitted  baseline: Foundation JSONEncoder", bytes: submittedBytes.count) {
    try foundationEncoder.encode(submittedEvent).count
}
try add("submitted  decode (typed)", bytes: submittedBytes.count) {
    try decoder.decode(RegistrationSubmitted.self, from: submittedBytes).data.validFrom.day
}
/// A submission as an upstream system writes it: members in the contract's order, not sorted.
let submittedAsSent = Data(submittedJSON.utf8)
try add("submitted  decode (typed, as sent)", bytes: submittedAsSent.count) {
    try decoder.decode(RegistrationSubmitted.self, from: submittedAsSent).data.validFrom.day
}
try add("submitted  decode (any type)", bytes: submittedBytes.count) {
    try decoder.decodeEvent(from: submittedBytes).attributes.id.utf8.count
}
try add("submitted  attributes only", bytes: submittedBytes.count) {
    try decoder.decodeAttributes(from: submittedBytes).id.utf8.count
}
try add("submitted  encode", bytes: submittedBytes.count) {
    try encoder.encode(submittedEvent).count
}
try add("accepted   baseline: JSONSerialization parse", bytes: acceptedBytes.count) {
    (try JSONSerialization.jsonObject(with: acceptedBytes) as? [String: Any])?.count ?? 0
}
try add("accepted   baseline: JSONSerialization write", bytes: acceptedBytes.count) {
    try JSONSerialization.data(withJSONObject: acceptedObject, options: [.sortedKeys]).count
}
try add("accepted   baseline: Foundation JSONDecoder (typed)", bytes: acceptedBytes.count) {
    try foundationDecoder.decode(RegistrationAccepted.self, from: acceptedBytes).data.sequence
}
try add("accepted   baseline: Foundation JSONEncoder", bytes: acceptedBytes.count) {
    try foundationEncoder.encode(acceptedEvent).count
}
try add("accepted   decode (typed)", bytes: acceptedBytes.count) {
    try decoder.decode(RegistrationAccepted.self, from: acceptedBytes).data.sequence
}
try add("accepted   decode (any type)", bytes: acceptedBytes.count) {
    try decoder.decodeEvent(from: acceptedBytes).attributes.id.utf8.count
}
try add("accepted   encode", bytes: acceptedBytes.count) {
    try encoder.encode(acceptedEvent).count
}
/// The accepted event behind a type that only has Codable, so `SortedJSONEncoder` takes its Codable path.
struct CodableOnly: Encodable {
    let event: CloudEvent<RegistrationAccepted>
    func encode(to encoder: any Encoder) throws { try event.encode(to: encoder) }
}
let sortedEncoder = SortedJSONEncoder()
try add("accepted   encode (Codable path)", bytes: acceptedBytes.count) {
    try sortedEncoder.encodeBytes(CodableOnly(event: acceptedEvent)).count
}
add("IIN.validate", bytes: 12) {
    IIN.validate("860101300126") == nil ? 1 : 0
}

print("## Event decode and encode (SchemaBench)")
print("")
print("\(iterations) iterations per row on one thread, release build. Typed decoding validates every")
print("identifier, date and enum; the registry's decoder reads the hot types with its own `JSONReader`")
print("and its encoder writes them with `JSONWriter`. Baselines on the same bytes: Foundation's typed")
print("`JSONDecoder`/`JSONEncoder` (what the registry used before), and `JSONSerialization`, which")
print("parses or writes without any validation.")
print("")
print("| operation | bytes | seconds | events/s | MB/s |")
print("|---|---:|---:|---:|---:|")
for row in rows {
    print("| \(row.name.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")) | \(row.bytesPerEvent) | "
        + String(format: "%.3f | %.0f | %.1f |", row.seconds, row.eventsPerSecond, row.megabytesPerSecond))
}
