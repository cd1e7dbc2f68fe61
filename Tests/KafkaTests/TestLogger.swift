// A quiet logger for tests.

import Logging

enum TestLogger {
    static var quiet: Logger {
        var logger = Logger(label: "kafka-test")
        logger.logLevel = .error
        return logger
    }

    /// For tests where the broker is away on purpose: librdkafka's connection refusals are the point.
    static var silent: Logger {
        var logger = quiet
        logger.logLevel = .critical
        return logger
    }
}
