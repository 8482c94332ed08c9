import Synchronization

extension RedisClient {
    /// Runs a Lua script with `EVALSHA`. When the server does not know the script (first use by
    /// this client, or after `SCRIPT FLUSH` or a restart) it sends `SCRIPT LOAD` and the retry
    /// in one pipeline, so the fallback costs one more round trip. Both go through the shared
    /// pipelines of concurrent callers, like every other command.
    /// A top-level error reply (a Lua error, say) throws `.server`.
    public func evalScript(_ script: RedisScript, keys: [String], args: [String]) async throws(RedisError) -> RedisReply {
        let source = Array(script.source.utf8)
        let tail = [Array(String(keys.count).utf8)] + keys.map { Array($0.utf8) } + args.map { Array($0.utf8) }
        let knownHash = scriptHashes.withLock { $0[script.source] }
        let (reply, learnedHash) = try await run(source: source, tail: tail, knownHash: knownHash)
        if let learnedHash {
            scriptHashes.withLock { hashes in
                if hashes.count < Self.scriptHashesMax || hashes[script.source] != nil {
                    hashes[script.source] = learnedHash
                }
            }
        }
        if let message = reply.errorMessage {
            throw RedisError(kind: .server, message: message)
        }
        return reply
    }

    private func run(source: [UInt8], tail: [[UInt8]], knownHash: String?) async throws(RedisError) -> (RedisReply, String?) {
        if let knownHash {
            let reply = try await batched([[Array("EVALSHA".utf8), Array(knownHash.utf8)] + tail])[0]
            guard let message = reply.errorMessage, message.hasPrefix("NOSCRIPT") else {
                return (reply, nil)
            }
        }
        // The run after the load sends the source itself (EVAL): a SCRIPT FLUSH from another
        // client can land between the two commands, and EVALSHA would then fail once more.
        let run = [Array("EVAL".utf8), source]
        let replies = try await batched([[Array("SCRIPT".utf8), Array("LOAD".utf8), source], run + tail])
        if let message = replies[0].errorMessage {
            return (.error(message), nil)
        }
        guard let hash = replies[0].string else {
            throw RedisError(kind: .protocolError, message: "SCRIPT LOAD answered \(replies[0])")
        }
        return (replies[1], hash)
    }
}
