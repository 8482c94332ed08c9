import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway `redis-server` on 127.0.0.1, for tests that stop and restart a server.
/// It keeps nothing on disk and is killed by its PID.
final class RedisServerProcess {
    let port: Int
    private var process: Process?

    /// How long a new server may take to accept connections.
    static let startTimeout: Duration = .seconds(5)

    init(port: Int) {
        self.port = port
    }

    deinit {
        stop()
    }

    func start() async throws {
        precondition(process == nil, "the server is already running")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "redis-server", "--port", String(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now.advanced(by: Self.startTimeout)
        while !isListening(port: port) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                stop()
                Issue.record("redis-server on port \(port) did not start within \(Self.startTimeout)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends `signal` to the server, e.g. SIGSTOP to freeze it the way a hung host would.
    func send(signal: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// Kills the server at once (SIGKILL), as a crash would, and reaps it.
    func stop() {
        guard let process else { return }
        self.process = nil
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
}
