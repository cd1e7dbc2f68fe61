// The claims of the electronic address certificate (docs/architecture.md §5.2).

import Foundation
import JWTKit
import RegistrySchema

/// `iss`, `sub`, `iat`, `exp` (30 days), `jti` and `registration`.
struct CertificateClaims: JWTPayload, Equatable {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var registration: RegistrationView

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
