import Dispatch
import Foundation

/// Data-parallel helpers for the few places that process tens of thousands of records at start-up.
public enum Parallel {
    /// Splits `0..<count` into contiguous chunks of at least `minimumChunk` elements, runs `body` on the chunks
    /// concurrently (one per core at most, twice that for balance), and returns the results in chunk order, so the
    /// outcome never depends on scheduling. The first error thrown by any chunk is rethrown.
    public static func mapChunks<T: Sendable>(
        count: Int, minimumChunk: Int, _ body: @Sendable (Range<Int>) throws -> T
    ) throws -> [T] {
        guard count > 0 else { return [] }
        let chunkCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount * 2, count / max(minimumChunk, 1)))
        let chunkSize = (count + chunkCount - 1) / chunkCount
        let slots = Slots<Result<T, any Error>>(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let range = (chunk * chunkSize)..<min(count, (chunk + 1) * chunkSize)
            slots.set(chunk, Result { try body(range) })
        }
        return try slots.values().map { try $0.get() }
    }

    /// `mapChunks` for work that cannot fail.
    public static func mapChunks<T: Sendable>(count: Int, minimumChunk: Int, _ body: @Sendable (Range<Int>) -> T) -> [T]
    {
        do {
            return try mapChunks(count: count, minimumChunk: minimumChunk) { (range: Range<Int>) throws -> T in
                body(range)
            }
        } catch {
            preconditionFailure("a non-throwing body threw \(error)")
        }
    }

    /// Runs two independent pieces of work side by side and returns both results.
    public static func pair<A: Sendable, B: Sendable>(_ a: @Sendable () -> A, _ b: @Sendable () -> B) -> (A, B) {
        let first = Slots<A>(count: 1)
        let second = Slots<B>(count: 1)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            if i == 0 { first.set(0, a()) } else { second.set(0, b()) }
        }
        return (first.values()[0], second.values()[0])
    }

    /// One result slot per chunk, written under a lock.
    final class Slots<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var values_: [Value?]

        init(count: Int) { values_ = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ value: Value) {
            lock.lock()
            values_[index] = value
            lock.unlock()
        }

        func values() -> [Value] {
            lock.lock()
            defer { lock.unlock() }
            return values_.map { $0! }
        }
    }
}
