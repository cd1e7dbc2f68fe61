// The topic catalogue of docs/architecture.md §3 and the one place the prefix is applied.

import Foundation
import RegistrySchema
import Testing

@Suite("Topics")
struct TopicTests {
    @Test("the eleven topics of the contract")
    func catalogue() {
        #expect(RegistryTopic.allCases.map(\.baseName) == [
            "address.catalog.v1", "registration.submitted.v1", "registration.accepted.v1", "registration.rejected.v1",
            "address.changed.v1", "address.current.v1", "address.alerts.v1", "access.logged.v1",
            "notification.outcome.v1", "deadletter.v1", "audit.checkpoints.v1",
        ])
        #expect(RegistryTopic.auditCheckpoints.keyDescription == "log origin")
        #expect(RegistryTopic.defaultPartitions == 12)
        #expect(RegistryTopic.addressCatalog.keyDescription == "RCA")
        #expect(RegistryTopic.registrationRejected.keyDescription == "IIN, or the submission id if no IIN can be read")
    }

    @Test("the prefix is prepended to every name, and only once")
    func prefixedNames() {
        let names = TopicNames(prefix: "test1.")
        #expect(names.name(for: .addressCatalog) == "test1.address.catalog.v1")
        #expect(names.name(for: .deadLetter) == "test1.deadletter.v1")
        #expect(names.topic(named: "test1.registration.accepted.v1") == .registrationAccepted)
        #expect(names.topic(named: "registration.accepted.v1") == nil)
        #expect(names.topic(named: "test1.unknown.v1") == nil)
        #expect(TopicNames().name(for: .accessLogged) == "access.logged.v1")
        #expect(TopicNames.prefixVariable == "REGISTRY_TOPIC_PREFIX")
        for topic in RegistryTopic.allCases {
            #expect(names.topic(named: names.name(for: topic)) == topic)
        }
    }

    @Test("cleanup policies and retention configs")
    func configs() {
        let compacted = RegistryTopic.allCases.filter { $0.cleanupPolicy == .compact }
        #expect(compacted == [.addressCatalog, .addressCurrent])
        let long = RegistryTopic.allCases.filter(\.isLongRetention)
        #expect(long == [.registrationAccepted, .addressChanged, .accessLogged, .deadLetter, .auditCheckpoints])
        #expect(RegistryTopic.registrationAccepted.topicConfigs == ["cleanup.policy": "delete", "retention.ms": "-1"])
        #expect(RegistryTopic.registrationSubmitted.topicConfigs == ["cleanup.policy": "delete", "retention.ms": "604800000"])
        #expect(RegistryTopic.addressCurrent.topicConfigs["cleanup.policy"] == "compact")
    }

    @Test("each event type maps to its data type, whose event type it is")
    func eventTypeMapping() throws {
        for type in EventType.allCases {
            #expect(type.dataType.eventType == type)
        }
        #expect(EventType.registrationSubmitted.rawValue == "kz.registry.registration.submitted.v1")
        #expect(EventType.occupancyAlert.rawValue == "kz.registry.address.occupancy-alert.v1")
        #expect(EventType.allCases.count == 12)
        #expect(EventType.auditCheckpoint.rawValue == "kz.registry.audit.checkpoint.v1" && EventType.auditCheckpoint.topic == .auditCheckpoints)
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([EventType].self, from: Data(#"["kz.registry.deadletter.v1","kz.registry.x.v1"]"#.utf8))
        }
        #expect(SchemaDecodingError(try #require(error)).message == "unknown type 'kz.registry.x.v1'")
    }

    @Test("each event type travels on exactly one topic, which lists it")
    func eventTypes() {
        #expect(RegistryTopic.addressCatalog.eventTypes == [.addressUpserted, .addressRetired])
        #expect(RegistryTopic.addressAlerts.eventTypes == [.occupancyAlert])
        for type in EventType.allCases {
            #expect(RegistryTopic.allCases.filter { $0.eventTypes.contains(type) } == [type.topic])
        }
        #expect(RegistryTopic.allCases.allSatisfy { !$0.eventTypes.isEmpty })
    }
}
