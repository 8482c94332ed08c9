import ArgumentParser
import NIOCore
import NIOPosix

/// The harness's entry point.
///
/// Swift Concurrency runs on the HTTP client's event loops (its default group is NIO's
/// singleton), so that a request's completion does not hop to another thread before its worker
/// sends the next one. The load generator shares the machine with the server it measures; the
/// less it spends on thread switches, the less it takes from the server.
@main
enum LoadtestMain {
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await LoadtestCommand.main()
    }
}
