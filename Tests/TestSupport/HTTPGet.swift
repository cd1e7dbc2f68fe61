// A tiny HTTP client for tests that talk to a real server over a socket.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The status and body of an HTTP answer, or nil when nothing answered within `timeout` seconds.
public func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 2
) async -> (status: Int, body: String)? {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    request.timeoutInterval = timeout
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else {
        return nil
    }
    return (http.statusCode, String(decoding: data, as: UTF8.self))
}

/// `GET url`: the status and body, or nil when nothing answered.
public func httpGet(_ url: String, headers: [String: String] = [:]) async -> (status: Int, body: String)? {
    await httpRequest("GET", url, headers: headers)
}
