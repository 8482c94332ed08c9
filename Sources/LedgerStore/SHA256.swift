import COpenSSL

/// SHA-256 through OpenSSL's libcrypto: entry chain links, request fingerprints, API key digests.
public enum SHA256 {
    public static let digestBytesCount = 32

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestBytesCount)
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                // SHA256 cannot fail on valid pointers; a nil return would mean memory corruption.
                let result = COpenSSL.SHA256(input.baseAddress, input.count, output.baseAddress)
                precondition(result != nil, "SHA256 failed")
            }
        }
        return digest
    }

    /// The hash of `first ‖ second`: a chain link is the hash of the previous link and an entry.
    public static func hash(_ first: [UInt8], _ second: [UInt8]) -> [UInt8] {
        hash(first + second)
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
