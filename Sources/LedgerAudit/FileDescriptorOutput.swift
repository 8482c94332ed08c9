#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to a file descriptor it does not own, such as standard output.
public struct FileDescriptorOutput: StatementOutput {
    public let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    public static let standardOutput = FileDescriptorOutput(descriptor: 1)

    public func write(_ bytes: [UInt8]) throws(AuditError) {
        try FileDescriptorOutput.writeAll(bytes, to: descriptor, name: "standard output")
    }

    /// `write(2)` until every byte is out, retrying interrupted and partial writes.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, name: String) throws(AuditError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw AuditError(.output, "cannot write to \(name): \(String(cString: strerror(code)))")
            }
            offset += written
        }
    }
}

/// `write(2)`, named apart from the `write` methods above.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
