import Synchronization

/// A function that one thread may replace while others call it.
///
/// Never keep a closure in a `Mutex` directly: `withLock` hands its value `inout` through
/// a generic parameter, and Swift re-wraps a function value in a reabstraction thunk on the
/// way in and on the way out, writing the wrapped one back. Each read then made the chain
/// one link longer: slower to call, more memory, and at some 66 000 reads a stack overflow
/// releasing it (issue 18). A class reference crosses `inout` as it is.
public final class LockedFunction<Function>: @unchecked Sendable {
    // @unchecked: `Function` is a closure type the callers make @Sendable; the box is only
    // ever read or replaced whole, under the Mutex.
    private final class Box: @unchecked Sendable {
        let function: Function
        init(_ function: Function) { self.function = function }
    }
    private let box: Mutex<Box>

    public init(_ function: Function) { box = Mutex(Box(function)) }

    /// The function now in place.
    public var current: Function { box.withLock { $0 }.function }

    public func replace(with function: Function) {
        let new = Box(function)
        box.withLock { $0 = new }
    }
}
