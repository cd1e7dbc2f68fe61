// registryctl load, the benchmark's load generator, as a process against a running registry.

import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(4))) struct RegistryCtlLoadTests {
    func load(_ stack: RegistryStack, _ arguments: [String]) async throws -> (output: String, figures: [String: Double]) {
        let process = try ChildProcess("registryctl", arguments: ["load"] + arguments + ["--json"], environment: [
            "REGISTRY_TOPIC_PREFIX": stack.prefix, "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrapServers, "REGISTRY_JWT_SECRET": TestSecrets.jwt,
        ])
        #expect(await process.waitForExit(timeout: .seconds(180)) == 0, "\(process.output)")
        let last = process.output.split(separator: "\n").last.map(String.init) ?? ""
        let figures = (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Double]) ?? [:]
        return (process.output, figures)
    }

    @Test func itPublishesTheMixWaitsForThePipelineAndMeasuresVisibilityAndTheBaselines() async throws {
        let stack = try await RegistryStack(label: "load")
        defer { Task { await stack.stopAll() } }
        try await stack.startAll()

        // A store filled with people, then the mixed stream after them; --wait returns once intake
        // decided everything and the index and the audit applied every accepted event.
        let fill = try await load(stack, ["--addresses", "300", "--registrations-only", "--count", "500", "--wait"])
        #expect(fill.figures["accepted"] == 500, "\(fill.output)")
        let next = Int(try #require(fill.figures["next_person"]))
        let mixed = try await load(stack, ["--addresses", "300", "--no-catalog", "--first-person", "\(next)", "--count", "4000", "--wait"])
        #expect(mixed.figures["submissions"] == 4000)
        #expect((mixed.figures["e2e_events_per_s"] ?? 0) > 0, "\(mixed.output)")
        let mix = try #require(mixed.output.split(separator: "\n").first { $0.hasPrefix("published 4000 submissions") })
        let counts = mix.split(separator: ":").last!.split(separator: ",").map { Double($0.split(separator: " ").first!)! }
        // 70 / 15 / 8 / 5 / 2 %, within what chance allows for 4,000.
        for (count, share) in zip(counts, [0.70, 0.15, 0.08, 0.05, 0.02]) { #expect(abs(count / 4000 - share) < 0.025, "\(mix)") }
        // Everything not meant to be invalid is accepted: the stream respects each person's history.
        let accepted = try #require(mixed.figures["accepted"])
        #expect(accepted >= 4000 * 0.95 && accepted <= 4000 - counts[4], "\(mixed.output)")
        let decided = try await stack.store("registration-intake").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM intake_submission") ?? 0 }
        #expect(decided == 4500, "intake decided every submission once")

        // At a fixed rate, sampled registrations are timed until address-index shows them.
        let after = Int(try #require(mixed.figures["next_person"]))
        let timed = try await load(stack, [
            "--addresses", "300", "--no-catalog", "--first-person", "\(after)", "--count", "1500", "--rate", "500",
            "--visibility", stack.url("address-index"), "--sample-every", "20",
        ])
        #expect((timed.figures["latency_samples"] ?? 0) >= 40 && timed.figures["latency_timed_out"] == 0, "\(timed.output)")
        #expect((timed.figures["latency_p50_ms"] ?? 0) > 0 && (timed.figures["latency_p99_ms"] ?? 0) >= (timed.figures["latency_p50_ms"] ?? 0))

        let raw = try await load(stack, ["--raw-baseline", "--count", "3000"])
        #expect(raw.figures["raw_messages"] == 3000 && (raw.figures["raw_events_per_s"] ?? 0) > 0, "\(raw.output)")
        #expect((raw.figures["raw_message_bytes"] ?? 0) > 300, "the baseline carries real submissions")
        // Returns only once every forwarded message reached the audit-shaped consumer.
        let topology = try await load(stack, ["--raw-pipeline", "--count", "2000"])
        #expect(topology.figures["raw_pipeline_messages"] == 2000 && (topology.figures["raw_pipeline_events_per_s"] ?? 0) > 0, "\(topology.output)")
        await stack.stopAll()
        print("registryctl load: \(Int(mixed.figures["e2e_events_per_s"]!)) events/s end to end (debug build), raw \(Int(raw.figures["raw_events_per_s"]!)) messages/s, visibility p50 \(timed.figures["latency_p50_ms"]!) ms")
    }
}
