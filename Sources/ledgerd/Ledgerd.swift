import ArgumentParser
import Foundation
import LedgerHTTP
import LedgerStore
import Logging
import Metrics
import Postgres
import Prometheus
import Redis
import ServiceLifecycle
import UnixSignals

/// The ledger server: HTTP API, committer, expiry sweeper and idempotency purger in one
/// ServiceGroup, stopped gracefully on SIGTERM or SIGINT.
struct Ledgerd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledgerd",
        abstract: "Serve the double-entry ledger over HTTP.",
        discussion: ServerSettings.help
    )

    func run() async throws {
        let settings = try ServerSettings(environment: ProcessInfo.processInfo.environment)
        let logLevel = settings.logLevel
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, logLevel: logLevel)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "ledgerd")

        var redisConfiguration: RedisConfiguration
        do throws(RedisError) {
            redisConfiguration = try RedisConfiguration(url: settings.redisURL)
        } catch {
            throw ValidationError("REDIS_URL is not a valid redis://host:port/db URL: \(error.message)")
        }
        redisConfiguration.connectionsMax = settings.redisConnectionsMax
        redisConfiguration.connectTimeout = .milliseconds(settings.redisTimeoutMilliseconds)
        redisConfiguration.commandTimeout = .milliseconds(settings.redisTimeoutMilliseconds)

        var postgresConfiguration = PostgresConfiguration(url: settings.databaseURL)
        postgresConfiguration.connectionsMax = settings.databaseConnectionsMax

        let pool = PostgresPool(configuration: postgresConfiguration, logger: logger)
        let redis = RedisClient(configuration: redisConfiguration, logger: logger)
        do {
            try await serve(settings: settings, pool: pool, redis: redis, registry: registry, logger: logger)
        } catch {
            await redis.close()
            await pool.close()
            throw error
        }
        await redis.close()
        await pool.close()
        logger.info("stopped")
    }

    private func serve(
        settings: ServerSettings, pool: PostgresPool, redis: RedisClient, registry: PrometheusCollectorRegistry, logger: Logger
    ) async throws {
        if settings.migrateOnStart {
            let applied = try await Migrator.bundled().migrate(pool: pool, logger: logger)
            logger.info("migrations checked", metadata: ["db.migrations.applied": "\(applied.count)"])
        }
        var committerConfiguration = Committer.Configuration()
        committerConfiguration.queueRequestsMax = settings.writeQueueMax
        let committer = Committer(pool: pool, configuration: committerConfiguration, logger: logger)
        let reader = LedgerReader(pool: pool)
        let services = LedgerServices(committer: committer, reader: reader, pool: pool, redis: redis, metricsRegistry: registry)
        let app = buildApplication(services, configuration: settings.http, logger: logger)

        // ServiceGroup stops services in reverse order, each after the one after it has
        // finished: the HTTP server drains its in-flight requests first, then the background
        // services stop, and the committer, which those requests were waiting on, stops last.
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: CommitterService(committer: committer, logger: logger)),
                .init(service: PromptStopService(wrapped: ExpirySweeper(reader: reader, committer: committer, logger: logger))),
                .init(service: PromptStopService(wrapped: IdempotencyPurger(
                    pool: pool, retention: .seconds(settings.idempotencyRetentionSeconds), logger: logger
                ))),
                .init(service: app),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = .seconds(settings.shutdownTimeoutSeconds)
        try await ServiceGroup(configuration: configuration).run()
    }
}
