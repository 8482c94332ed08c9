#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A file that appears whole or not at all.
///
/// Bytes go to a temporary file next to the target (same directory, so the final rename is
/// atomic on the same file system); `commit()` flushes it to disk and renames it into place.
/// `discard()`, or dropping the output uncommitted, removes the temporary file, so a failed
/// export never leaves a partial file behind. The file is created readable by its owner only
/// (mkstemp's 0600): statements are confidential.
public final class AtomicFileOutput: StatementOutput {
    public let path: String

    private struct State {
        var descriptor: Int32
        var temporaryPath: String
        var isFinished: Bool
    }

    private let state: Mutex<State>

    /// Creates the temporary file.
    /// - Throws: `AuditError(.output)` when the directory is missing or not writable.
    public init(path: String) throws(AuditError) {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw AuditError(.output, "--output needs a file name, not \(path.debugDescription)")
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw AuditError(.output, "cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.path = path
        self.state = Mutex(State(descriptor: descriptor, temporaryPath: temporaryPath, isFinished: false))
    }

    deinit {
        discard()
    }

    public func write(_ bytes: [UInt8]) throws(AuditError) {
        let path = self.path
        try state.withLock { (state: inout State) throws(AuditError) in
            precondition(!state.isFinished, "write after the output was committed or discarded")
            try FileDescriptorOutput.writeAll(bytes, to: state.descriptor, name: path)
        }
    }

    /// Flushes the file to disk and renames it to `path`, replacing any file there.
    public func commit() throws(AuditError) {
        let path = self.path
        try state.withLock { (state: inout State) throws(AuditError) in
            precondition(!state.isFinished, "commit after the output was committed or discarded")
            state.isFinished = true
            let synced = fsync(state.descriptor) == 0
            let syncError = errno
            let closed = close(state.descriptor) == 0
            let closeError = errno
            guard synced, closed else {
                unlink(state.temporaryPath)
                throw AuditError(.output, "cannot write \(path): \(String(cString: strerror(synced ? closeError : syncError)))")
            }
            guard rename(state.temporaryPath, path) == 0 else {
                let code = errno
                unlink(state.temporaryPath)
                throw AuditError(.output, "cannot create \(path): \(String(cString: strerror(code)))")
            }
        }
    }

    /// Removes the temporary file. Safe to call more than once, and after `commit()`.
    public func discard() {
        state.withLock { state in
            guard !state.isFinished else { return }
            state.isFinished = true
            close(state.descriptor)
            unlink(state.temporaryPath)
        }
    }
}
