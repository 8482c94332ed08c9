public import LedgerStore
import Logging

extension TestDatabase {
    /// A fresh migrated database with a running committer for `body`; the committer is shut
    /// down and the database dropped afterwards, also when `body` throws.
    public static func withCommitter<T>(
        label: String, configuration: Committer.Configuration = .init(), _ body: (TestDatabase, Committer) async throws -> T
    ) async throws -> T {
        let database = try await TestDatabase.create(label: label)
        let committer = Committer(pool: database.pool, configuration: configuration, logger: Logger(label: "test.committer"))
        committer.start()
        do {
            let result = try await body(database, committer)
            await committer.shutdown()
            await database.drop()
            return result
        } catch {
            await committer.shutdown()
            await database.drop()
            throw error
        }
    }
}
