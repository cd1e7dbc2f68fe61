// SchemaBench: decode and encode throughput of the hot-path event types.
//
//   swift run -c release SchemaBench [iterations]     (default 200000 per row)

import Foundation
import RegistrySchema

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200_000

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
rows.append(try measure("submitted  decode (typed)", bytes: submittedBytes.count) {
    try decoder.decode(RegistrationSubmitted.self, from: submittedBytes).data.validFrom.day
})
rows.append(try measure("submitted  decode (any type)", bytes: submittedBytes.count) {
    try decoder.decodeEvent(from: submittedBytes).attributes.id.utf8.count
})
rows.append(try measure("submitted  attributes only", bytes: submittedBytes.count) {
    try decoder.decodeAttributes(from: submittedBytes).id.utf8.count
})
rows.append(try measure("submitted  encode", bytes: submittedBytes.count) {
    try encoder.encode(submittedEvent).count
})
rows.append(try measure("accepted   decode (typed)", bytes: acceptedBytes.count) {
    try decoder.decode(RegistrationAccepted.self, from: acceptedBytes).data.sequence
})
rows.append(try measure("accepted   decode (any type)", bytes: acceptedBytes.count) {
    try decoder.decodeEvent(from: acceptedBytes).attributes.id.utf8.count
})
rows.append(try measure("accepted   encode", bytes: acceptedBytes.count) {
    try encoder.encode(acceptedEvent).count
})
rows.append(measure("IIN.validate", bytes: 12) {
    IIN.validate("860101300126") == nil ? 1 : 0
})

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

print("SchemaBench: \(iterations) iterations per row, 1 thread")
print(pad("operation", 30) + pad("bytes", 7, right: true) + pad("seconds", 10, right: true) + pad("events/s", 13, right: true) + pad("MB/s", 9, right: true))
for row in rows {
    print(pad(row.name, 30)
        + pad(String(row.bytesPerEvent), 7, right: true)
        + pad(String(format: "%.3f", row.seconds), 10, right: true)
        + pad(String(format: "%.0f", row.eventsPerSecond), 13, right: true)
        + pad(String(format: "%.1f", row.megabytesPerSecond), 9, right: true))
}
