// Which of the module's types travel as JSON strings, for error messages.

/// A type whose JSON form is a string (identifiers, dates, enumerations), so that a decoding
/// error can say "expected string" rather than name the Swift type.
protocol JSONStringValue {}

extension IIN: JSONStringValue {}
extension RCA: JSONStringValue {}
extension KATO: JSONStringValue {}
extension CalendarDate: JSONStringValue {}
extension Timestamp: JSONStringValue {}
extension EventType: JSONStringValue {}
extension RegistrationKind: JSONStringValue {}
extension RegistrationTerm: JSONStringValue {}
extension DeregistrationReason: JSONStringValue {}
extension AddressChangeKind: JSONStringValue {}
extension RejectionCode: JSONStringValue {}
extension DeliveryStatus: JSONStringValue {}
