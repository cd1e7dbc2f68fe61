// A tiny HTTP client for tests that talk to a real server over a socket.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The status and body of an HTTP answer, or nil when nothing answered within `timeout` seconds.
public func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 2
) async -> (status: Int, body: String)? {
    try? await httpExchange(method, url, headers: headers, body: body, timeout: timeout).get()
}

/// The status and body of an HTTP answer, or why there was none (URLError's `timedOut`,
/// `cannotConnectToHost`, `networkConnectionLost`…).
public func httpExchange(
    _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 2
) async -> Result<(status: Int, body: String), any Error> {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    request.timeoutInterval = timeout
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    do {
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { return .failure(URLError(.badServerResponse)) }
        return .success((http.statusCode, String(decoding: data, as: UTF8.self)))
    } catch {
        return .failure(error)
    }
}

/// `GET url`: the status and body, or nil when nothing answered.
public func httpGet(_ url: String, headers: [String: String] = [:]) async -> (status: Int, body: String)? {
    await httpRequest("GET", url, headers: headers)
}
