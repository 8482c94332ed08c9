import ServiceLifecycle

/// Stops a polling service as soon as graceful shutdown starts.
///
/// The sweeper and purger check for shutdown between runs, but sleep in between (up to a
/// minute for the purger); cancelling them on graceful shutdown wakes the sleep, so shutdown
/// does not wait out an interval. A run in progress is cancelled with it, which is harmless:
/// both only submit work that the next start repeats.
struct PromptStopService<Wrapped: Service>: Service, CustomStringConvertible {
    let wrapped: Wrapped

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await wrapped.run()
        }
    }

    var description: String { "\(Wrapped.self)" }
}
