// The few HTTP reads registryctl makes of the audit service.

import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// GETs against the audit service, with readable failures.
struct AuditHTTP {
    /// The service, e.g. `http://localhost:8084`.
    let base: String

    /// The service answered something other than 200.
    struct Refused: Error, CustomStringConvertible {
        let status: Int
        let body: String
        let address: String
        var description: String { "\(address) answered \(status): \(body.prefix(300))" }
    }

    /// The body of `GET base + path`.
    /// - Throws: ``Refused`` for a non-200 answer; exit 69 when the service does not answer.
    func get(_ path: String, bearer: String? = nil) async throws -> Data {
        let address = base + path
        guard let url = URL(string: address) else { throw ValidationError("not a URL: \(address)") }
        var request = URLRequest(url: url)
        request.timeoutInterval = 30
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            printError("registryctl: \(address) did not answer: \(error.localizedDescription)")
            throw ExitStatus.brokerUnreachable
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else { throw Refused(status: status, body: String(decoding: data, as: UTF8.self), address: address) }
        return data
    }

    /// `GET base + path` as a JSON object.
    func json(_ path: String, bearer: String? = nil) async throws -> [String: Any] {
        let data = try await get(path, bearer: bearer)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("\(base + path) did not answer a JSON object: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return object
    }

    /// `GET base + path` as text.
    func text(_ path: String) async throws -> String {
        String(decoding: try await get(path), as: UTF8.self)
    }
}
