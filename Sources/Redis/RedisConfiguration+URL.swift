extension RedisConfiguration {
    /// The port used when a URL names none.
    public static let portDefault = 6379

    /// Reads `redis://host[:port][/database]`; the port defaults to 6379 and the database to 0.
    ///
    /// IPv6 hosts are written in brackets (`redis://[::1]:6379`). Other schemes are rejected, and
    /// so are `rediss://` (hiredis 0.14 has no TLS), credentials, queries and fragments, because
    /// silently ignoring any of them would connect somewhere other than where the URL says.
    public init(url: String) throws(RedisError) {
        let prefix = "redis://"
        guard url.lowercased().hasPrefix(prefix) else {
            let scheme = url.split(separator: ":", maxSplits: 1).first.map(String.init) ?? url
            let hint = scheme.lowercased() == "rediss" ? " (TLS is not supported by hiredis 0.14)" : ""
            throw Self.invalid("the scheme must be redis://, not \(scheme)://\(hint)")
        }
        let rest = url.dropFirst(prefix.count)
        guard !rest.contains("?"), !rest.contains("#") else {
            throw Self.invalid("query strings and fragments are not supported")
        }
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = ""
        }
        guard !authority.contains("@") else {
            throw Self.invalid("credentials in the URL are not supported")
        }
        let (host, port) = try Self.parseAuthority(authority)
        let database = try Self.parseDatabase(path)
        self.init(host: host, port: port, database: database)
    }

    private static func parseAuthority(_ authority: Substring) throws(RedisError) -> (String, Int) {
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw invalid("an IPv6 host must end with ]")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw invalid("unexpected text after the IPv6 host")
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw invalid("write an IPv6 host in brackets")
            }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else {
            throw invalid("the host is missing")
        }
        guard let portText else {
            return (String(host), portDefault)
        }
        guard portText.allSatisfy(Self.isDigit), let port = Int(portText), (1...65_535).contains(port) else {
            throw invalid("the port must be a number from 1 to 65535, not \(portText)")
        }
        return (String(host), port)
    }

    private static func parseDatabase(_ path: Substring) throws(RedisError) -> Int {
        if path.isEmpty {
            return 0
        }
        guard path.allSatisfy(isDigit), let database = Int(path), (0...Int(Int32.max)).contains(database) else {
            throw invalid("the path must be a database number, not /\(path)")
        }
        return database
    }

    private static func isDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }

    private static func invalid(_ reason: String) -> RedisError {
        RedisError(kind: .configuration, message: "invalid Redis URL: \(reason)")
    }
}
