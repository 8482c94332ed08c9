import ArgumentParser
import NIOCore
import NIOPosix

/// The process entry point.
///
/// Before anything else runs, Swift Concurrency's global executor is replaced by the HTTP
/// server's event loops. Every request otherwise hops from an event loop thread to a
/// cooperative thread and back, and on a two-core machine those thread switches cost more than
/// the request's own work. Nothing in the server blocks a task: database and Redis calls run
/// on their own thread pools.
@main
enum LedgerdMain {
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Ledgerd.main()
    }
}
