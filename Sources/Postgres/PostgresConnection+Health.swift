import CLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension PostgresConnection {
    /// Checks, without blocking, that an idle connection is still alive. A server that ended the
    /// session (restart, pg_terminate_backend, idle timeout) has sent an error and closed the
    /// socket, which shows up here as readable input: the error, then end of file.
    func isAliveWhenIdle() -> Bool {
        guard !self.isBroken else { return false }
        let socket = PQsocket(self.handle)
        guard socket >= 0 else { return false }
        // The error message and the end of file arrive as separate reads; a few rounds see both.
        for _ in 0..<Self.idleCheckReadsMax {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            // Reading also processes any notice the server sent; it fails on end of file.
            if PQconsumeInput(self.handle) != 1 {
                self.markBroken("connection closed by the server while idle")
                return false
            }
            // Parsing hands an error sent to an idle session to the notice receiver, which
            // marks the connection dead even before the end of file arrives.
            _ = PQisBusy(self.handle)
        }
        return !self.isBroken
    }

    static let idleCheckReadsMax = 4
}
