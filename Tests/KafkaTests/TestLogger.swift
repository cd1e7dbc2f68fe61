// A quiet logger for tests.

import Logging

enum TestLogger {
    static var quiet: Logger {
        var logger = Logger(label: "kafka-test")
        logger.logLevel = .error
        return logger
    }
}
