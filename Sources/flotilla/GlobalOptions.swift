import ArgumentParser
import Logging

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    /// Sets up swift-log once (structured key=value lines on standard error) and returns the command's logger.
    func logger(_ label: String) -> Logger {
        LoggingBootstrap.once(level: logLevel)
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `LoggingSystem.bootstrap` may run only once per process; a lazily initialised static runs it exactly once.
enum LoggingBootstrap {
    private static let bootstrapped: Void = LoggingSystem.bootstrap(StreamLogHandler.standardError)
    static func once(level: Logger.Level) { _ = bootstrapped }
}
